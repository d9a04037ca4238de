"""Signed checkpoints of the audit chain's head, kept where a database writer cannot reach.

A checkpoint names an entry's seq, hash and MAC at a moment, signed with the
audit key. The store is a plain directory outside the database
(`VIGIL_AUDIT_CHECKPOINT_DIR`), one file per checkpoint, created exclusively
and never rewritten: point it at write-once or another host's storage in
production. The newest checkpoint is what exposes a log whose newest entries
were deleted, which no hash or MAC inside the database can show.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from audit.keys import sign, signed_by
from settings import get_settings

FORMAT = "vigil-audit-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head: str  # the entry's hash
    mac: str | None  # the entry's MAC; once present, every later entry must carry one
    at: str
    signature: str = ""
    format: str = FORMAT

    def _signed_values(self) -> list[Any]:
        return [self.format, self.seq, self.head, self.mac, self.at]

    @classmethod
    def signed(cls, key: bytes, *, seq: int, head: str, mac: str | None) -> Checkpoint:
        at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        unsigned = cls(seq=seq, head=head, mac=mac, at=at)
        return cls(seq=seq, head=head, mac=mac, at=at, signature=sign(key, unsigned._signed_values()))

    def verifies(self, key: bytes) -> bool:
        return self.format == FORMAT and signed_by(key, self._signed_values(), self.signature)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        return cls(seq=int(data["seq"]), head=str(data["head"]), mac=data.get("mac"),
                   at=str(data["at"]), signature=str(data.get("signature", "")),
                   format=str(data.get("format", "")))


def checkpoint_ok(data: dict[str, Any], key: bytes) -> bool:
    """Whether a checkpoint as exported (a dict) carries a valid signature under `key`."""
    try:
        return Checkpoint.from_dict(data).verifies(key)
    except (KeyError, TypeError, ValueError):
        return False


class CheckpointStore:
    """An append-only directory of checkpoint files, named so they sort by seq."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory or get_settings().audit_checkpoint_dir)

    def write(self, checkpoint: Checkpoint) -> Path:
        """Create the checkpoint's file; an existing file is never overwritten."""
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.fromisoformat(checkpoint.at).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"{checkpoint.seq:012d}-{stamp}.json"
        # O_EXCL: two processes checkpointing the same head at the same microsecond
        # leave one file, and nothing here can replace a checkpoint already written.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        with os.fdopen(descriptor, "w") as out:
            json.dump(checkpoint.as_dict(), out, indent=1, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        return path

    def newest_first(self) -> Iterator[tuple[str, Checkpoint | None]]:
        """(file name, checkpoint) from the highest seq down; None for an unreadable file."""
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.json"), reverse=True):
            try:
                yield path.name, Checkpoint.from_dict(json.loads(path.read_text()))
            except (OSError, KeyError, TypeError, ValueError):
                yield path.name, None
