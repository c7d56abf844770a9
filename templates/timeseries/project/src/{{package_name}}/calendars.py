"""Calendars: any pandas offset as a series' step, inferred or given, and holidays.

Fixed steps (``30min``, ``h``, ``D``) put a grid on the first timestamp; calendar offsets
(``MS``, ``ME``, ``QS``, ``W-MON``) put it on their anchors. Business days (``B``, ``C``) are
a custom business-day calendar whose holidays are the weekdays absent from every series (the
days the market or office was closed) plus, with ``--holidays CODE``, that country's or
exchange's holidays from the ``holidays`` library, so no closed day is ever invented and
forecasts land on open days.
"""

from __future__ import annotations

import pandas as pd
from pandas.tseries.frequencies import to_offset

from .ledger import DataError

DAY = pd.Timedelta("1D")
BUSINESS = (pd.offsets.BusinessDay, pd.offsets.CustomBusinessDay)
FUTURE_YEARS = 3  # holidays of the ``--holidays`` calendar this many years past the data


def parse(text: str) -> pd.DateOffset:
    """``--freq`` as a pandas offset, or a one-line DataError."""
    try:
        return to_offset(text)
    except ValueError:
        raise DataError(
            f"--freq {text!r} is not a pandas frequency (e.g. 30min, h, D, B, W-MON, MS, ME, QS)"
        ) from None


def is_fixed(offset: pd.DateOffset) -> bool:
    """A step of fixed length (minutes, hours, days), as opposed to a calendar offset."""
    return isinstance(offset, pd.offsets.Tick | pd.offsets.Day)


def is_business(offset: pd.DateOffset) -> bool:
    return isinstance(offset, BUSINESS)


def season_lengths(offset: pd.DateOffset) -> tuple[int, int, int]:
    """Steps in a day, a week and a year (1 where the step is not shorter than the season)."""
    if is_business(offset):
        return 1, 5, 1
    if is_fixed(offset):
        step = pd.Timedelta(offset)
        return max(int(DAY / step), 1), max(int(7 * DAY / step), 1), 1
    per_year = {pd.offsets.Week: 52, pd.offsets.MonthBegin: 12, pd.offsets.MonthEnd: 12,
                pd.offsets.QuarterBegin: 4, pd.offsets.QuarterEnd: 4}.get(type(offset), 1)  # fmt: skip
    return 1, 1, max(1, round(per_year / offset.n))


def infer(times: pd.DatetimeIndex) -> pd.DateOffset:
    """The offset of sorted, distinct timestamps, robust to gaps (then the commonest step)."""
    if len(times) < 3:
        raise DataError("cannot infer the frequency: fewer than three distinct timestamps")
    named = pd.infer_freq(times)
    if named:
        return to_offset(named)
    step = pd.Series(times).diff().dropna().mode().iloc[0]
    midnight = (times == times.normalize()).all()
    if midnight and step == DAY and (times.dayofweek < 5).all():
        return pd.offsets.BusinessDay()
    if midnight and DAY * 27 <= step <= DAY * 31:
        if times.is_month_start.all():
            return pd.offsets.MonthBegin()
        if times.is_month_end.all():
            return pd.offsets.MonthEnd()
    if midnight and step == 7 * DAY and times.dayofweek.nunique() == 1:
        return to_offset(f"W-{times[0].day_name()[:3].upper()}")
    return to_offset(step)


def business_calendar(
    times: pd.DatetimeIndex, offset: pd.DateOffset, code: str = ""
) -> pd.offsets.CustomBusinessDay:
    """Business days open whenever any series has a value: absent weekdays are closures."""
    closed = set(absent_weekdays(times))
    if code:
        years = range(times.min().year, times.max().year + FUTURE_YEARS + 1)
        closed |= {pd.Timestamp(d) for d in holiday_dates(code, years)}
    return pd.offsets.CustomBusinessDay(n=offset.n, holidays=sorted(closed))


def absent_weekdays(times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The weekdays within the span of ``times`` on which no series has a value."""
    days = times.normalize().unique()
    return pd.bdate_range(days.min(), days.max()).difference(days)


def holiday_dates(code: str, years) -> list:
    """Dates of a country (``GB``, ``US``, ``GB-ENG`` for a subdivision) or exchange (``NYSE``)."""
    import holidays

    country, _, subdiv = code.partition("-")
    try:
        if country.upper() in holidays.list_supported_financial():
            return list(holidays.financial_holidays(country.upper(), years=years))
        return list(holidays.country_holidays(country.upper(), subdiv=subdiv or None, years=years))
    except (NotImplementedError, KeyError):
        raise DataError(
            f"--holidays {code!r} is not a country (GB, US, GB-ENG) or market (NYSE) code"
        ) from None


def grid(first: pd.Timestamp, last: pd.Timestamp, offset: pd.DateOffset) -> pd.DatetimeIndex:
    """Every step from ``first`` to ``last`` (fixed steps start at ``first``)."""
    if not is_fixed(offset):
        first = offset.rollforward(first)
    return pd.date_range(first, last, freq=offset)


def after(end: pd.Timestamp, h: int, offset: pd.DateOffset) -> pd.DatetimeIndex:
    """The ``h`` steps after ``end``."""
    return pd.date_range(end, periods=h + 1, freq=offset)[1:]


def before(end: pd.Timestamp, n: int, offset: pd.DateOffset) -> pd.DatetimeIndex:
    """``n`` steps ending at ``end`` (included)."""
    return pd.date_range(end=end, periods=n, freq=offset)


def consecutive(times: pd.DatetimeIndex, offset: pd.DateOffset) -> bool:
    """Whether sorted ``times`` follow each other by one step (business days: open days only,
    so a posted history of real trading days passes whatever closures it has)."""
    if is_business(offset):
        return bool((times.dayofweek < 5).all() and (times == times.normalize()).all())
    if is_fixed(offset):
        return bool((times[1:] - times[:-1] == pd.Timedelta(offset)).all())
    return bool((times[1:] == times[:-1] + offset).all())


def to_spec(offset: pd.DateOffset) -> dict:
    """A JSON description (a custom business day keeps its holidays)."""
    spec: dict = {"freq": offset.freqstr}
    if isinstance(offset, pd.offsets.CustomBusinessDay):
        spec["holidays"] = [str(d)[:10] for d in offset.holidays]
        spec["n"] = offset.n
    return spec


def from_spec(spec: dict) -> pd.DateOffset:
    if "holidays" in spec:
        return pd.offsets.CustomBusinessDay(n=spec.get("n", 1), holidays=spec["holidays"])
    return to_offset(spec["freq"])
