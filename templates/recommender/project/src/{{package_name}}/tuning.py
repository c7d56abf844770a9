"""Optuna search of each model's few key hyper-parameters, on validation only, same budget for all.

Every tunable model gets the same number of trials (TPE, seeded), scored by NDCG@k on the
validation split carved from the training data; the test split is never looked at. The same seed
gives the same trials and the same chosen parameters.
"""

from __future__ import annotations

from collections.abc import Callable

from .evaluation import score_model
from .fitting import DEFAULTS, fit_model, suggest, tunable
from .prepare import Prepared


def tune(
    names: tuple[str, ...],
    prep: Prepared,
    tokens: list[list[str]],
    k: int,
    trials: int,
    seed: int,
    log: Callable[[str], None] = print,
) -> dict[str, dict[str, object]]:
    """Best parameters per tunable model, with its validation NDCG and the default's."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    found: dict[str, dict[str, object]] = {}
    for name in (n for n in names if tunable(n)):

        def objective(trial: optuna.Trial, name: str = name) -> float:
            model = fit_model(name, prep.positives, tokens, suggest(name, trial), seed)
            return float(score_model(model, prep, k, detail=False).summary["ndcg"])

        study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed)
        )
        # The defaults are the first trial, so tuning never ends worse than not tuning.
        study.enqueue_trial(dict(DEFAULTS[name]))
        study.optimize(objective, n_trials=trials, show_progress_bar=False)
        found[name] = {
            "params": {**DEFAULTS[name], **study.best_params},
            "validation_ndcg": study.best_value,
            "default_ndcg": study.trials[0].value,
            "trials": len(study.trials),
        }
        log(f"  tuned {name:<9} NDCG@{k} {study.best_value:.4f} with {study.best_params}")
    return found
