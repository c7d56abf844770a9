"""Sticky A/B routing: a deterministic hash of the entity id decides its variant."""

from __future__ import annotations

import hashlib

from .artifacts import CHALLENGER, CHAMPION


def bucket(entity_id: str, salt: str) -> float:
    """A number in [0, 1) that depends only on ``salt`` and ``entity_id`` (not on the process)."""
    digest = hashlib.blake2b(f"{salt}:{entity_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class Router:
    """Sends ``challenger_share`` of the ids to the challenger, the same ids every time."""

    def __init__(self, challenger_share: float, salt: str, has_challenger: bool = True) -> None:
        if not 0.0 <= challenger_share <= 1.0:
            raise ValueError("challenger_share must be between 0 and 1")
        self.challenger_share = challenger_share if has_challenger else 0.0
        self.salt = salt

    def variant(self, entity_id: str) -> str:
        return CHALLENGER if bucket(entity_id, self.salt) < self.challenger_share else CHAMPION
