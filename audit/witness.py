"""Hold the audit log up against its checkpoints: what the log no longer has.

Hashes and MACs show what was changed inside the log; only a record kept
outside it shows what was removed from its end. Checkpoints are read newest
first until one still matches the log, which is usually the first one read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from audit.checkpoints import Checkpoint, CheckpointStore
from audit.report import ChainProblem
from db.models import AuditEntry


@dataclass
class Witnessed:
    problems: list[ChainProblem] = field(default_factory=list)
    matched: Checkpoint | None = None  # the newest checkpoint the log still matches
    rejected: list[str] = field(default_factory=list)
    cannot_vouch_from: int | None = None


def against_checkpoints(rows: Sequence[AuditEntry], *, store: CheckpointStore, key: bytes,
                        kept_from_seq: int) -> Witnessed:
    """Compare the log (in seq order) with the checkpoints of entries retention still keeps."""
    found = Witnessed()
    positions = {row.seq: position for position, row in enumerate(rows, start=1)}
    by_seq = {row.seq: row for row in rows}
    last_seq = rows[-1].seq if rows else kept_from_seq - 1
    truncated: ChainProblem | None = None
    diverged: ChainProblem | None = None
    rehashed = False
    for name, checkpoint in store.newest_first():
        if checkpoint is None or not checkpoint.verifies(key):
            found.rejected.append(name)  # forged or damaged: it vouches for nothing
            continue
        if checkpoint.seq < kept_from_seq:
            break  # that entry was pruned by retention, and so were those of older checkpoints
        row = by_seq.get(checkpoint.seq)
        if row is None and checkpoint.seq > last_seq:
            truncated = truncated or ChainProblem(len(rows) + 1, last_seq + 1, "truncated")
            continue
        if row is None:
            continue  # a gap inside the log: the walk reports it as missing_before
        if row.hash == checkpoint.head and row.mac == checkpoint.mac:
            found.matched = checkpoint
            break
        # Keep the oldest diverging checkpoint: it lies closest to where the log forked.
        diverged = ChainProblem(positions[row.seq], row.seq, "diverged")
        if checkpoint.mac is not None and row.mac == checkpoint.mac:
            # Only the hashes were recomputed: the keyed chain still ends where the checkpoint
            # saw it, and the walk's MAC failures name the entries that were changed.
            rehashed = True
            break
    if truncated:
        found.problems.append(truncated)
        found.cannot_vouch_from = truncated.position
    if diverged:
        found.problems.append(diverged)
        if not rehashed:  # the log forked somewhere after the newest checkpoint it matches
            found.cannot_vouch_from = positions[found.matched.seq] + 1 if found.matched else 1
    return found
