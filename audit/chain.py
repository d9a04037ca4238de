"""Append to and verify the hash-chained audit log.

Each entry's hash covers its own fields and the previous entry's hash, so an
edited, reordered or deleted entry breaks the chain at a position the verifier
names. Appends take a lock (BEGIN IMMEDIATE on SQLite, an advisory transaction
lock on PostgreSQL) so two writers never chain onto the same predecessor.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from db.models import AuditEntry

GENESIS = "0" * 64
PRUNED = "audit.pruned"  # the marker retention leaves where it removed old entries
_PG_LOCK_KEY = 0x56494749  # "VIGI"


def entry_hash(
    *, seq: int, at: str, actor: str, action: str, subject: str, detail: dict, prev_hash: str
) -> str:
    """SHA-256 over a canonical JSON rendering of the entry and its predecessor's hash."""
    body = json.dumps(
        [seq, at, actor, action, subject, detail, prev_hash],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def append(
    session: Session, *, actor: str, action: str, subject: str, detail: dict[str, Any] | None = None
) -> AuditEntry:
    """Chain one entry onto the log inside the caller's write transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    last = session.exec(select(AuditEntry).order_by(col(AuditEntry.seq).desc()).limit(1)).first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    # Round-trip through JSON so the hash covers exactly what the JSON column stores.
    clean = json.loads(json.dumps(detail or {}, default=str))
    entry = AuditEntry(
        seq=seq, at=at, actor=actor, action=action, subject=subject, detail=clean, prev_hash=prev,
        hash=entry_hash(seq=seq, at=at, actor=actor, action=action, subject=subject,
                        detail=clean, prev_hash=prev),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass
class ChainProblem:
    position: int  # 1-based position in the log as read, in seq order
    seq: int
    problem: str  # "edited", "missing_before", "out_of_order"


@dataclass
class ChainReport:
    ok: bool
    entries: int
    head: str
    problems: list[ChainProblem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pruned_start(session: Session, first: AuditEntry) -> bool:
    """Whether the log's first entry follows a recorded retention prune exactly.

    Retention (audit.retention) may remove the oldest entries; it leaves an
    `audit.pruned` entry naming the last removed entry's seq and hash, which
    anchors the chain's new start. Nothing else may make it start later.
    """
    prunes = session.exec(select(AuditEntry).where(AuditEntry.action == PRUNED)).all()
    return any(p.detail.get("through_seq") == first.seq - 1
               and p.detail.get("through_hash") == first.prev_hash for p in prunes)


def verify(session: Session) -> ChainReport:
    """Walk the whole chain and report every break with its position."""
    problems: list[ChainProblem] = []
    prev_hash, expected_seq, count = GENESIS, 1, 0
    rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.seq))).all()
    if rows and rows[0].seq != 1 and _pruned_start(session, rows[0]):
        prev_hash, expected_seq = rows[0].prev_hash, rows[0].seq
    for position, row in enumerate(rows, start=1):
        count += 1
        recomputed = entry_hash(seq=row.seq, at=row.at, actor=row.actor, action=row.action,
                                subject=row.subject, detail=row.detail, prev_hash=row.prev_hash)
        if recomputed != row.hash:
            problems.append(ChainProblem(position, row.seq, "edited"))
        if row.seq != expected_seq:
            problems.append(ChainProblem(position, row.seq, "missing_before"))
        elif row.prev_hash != prev_hash:
            problems.append(ChainProblem(position, row.seq, "out_of_order"))
        prev_hash, expected_seq = row.hash, row.seq + 1
    return ChainReport(ok=not problems, entries=count, head=prev_hash, problems=problems)
