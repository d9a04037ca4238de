"""What the audit verifier reports: each break with its position, and how far it can vouch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ChainProblem:
    position: int  # 1-based position in the log as read, in seq order (entries + 1: past its end)
    seq: int
    # "edited", "missing_before", "out_of_order": the hash chain disagrees with itself.
    # "mac_invalid", "mac_missing": an entry was written or rewritten without the audit key.
    # "truncated": a checkpoint names an entry past the log's end (newest entries deleted).
    # "diverged": the entry a checkpoint names is no longer the one it saw.
    problem: str


@dataclass
class ChainReport:
    ok: bool
    entries: int
    head: str
    problems: list[ChainProblem] = field(default_factory=list)
    # The first position the verifier cannot vouch for (None: it vouches for the whole log).
    cannot_vouch_from: int | None = None
    # Entries before this position carry no MAC: written before the audit key existed, so
    # only the hash chain and later checkpoints speak for them (None: every entry is keyed).
    unanchored_before: int | None = None
    checkpoint: dict[str, Any] | None = None  # the newest checkpoint the log still matches
    rejected_checkpoints: list[str] = field(default_factory=list)  # unreadable or badly signed

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
