"""Append to and verify the hash-chained, keyed audit log.

Each entry's hash covers its own fields and the previous entry's hash, so an
edited, reordered or deleted entry breaks the chain at a position the verifier
names. A writer with database access can recompute hashes, so each entry also
carries a MAC under the audit key (audit/keys.py), which lives outside the
database; deleting the newest entries shows only against the signed checkpoints
kept outside it too (audit/witness.py). Appends take a lock (BEGIN IMMEDIATE on
SQLite, an advisory transaction lock on PostgreSQL) so two writers never chain
onto the same predecessor.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone
from typing import Any, NamedTuple

from sqlalchemy import insert, text
from sqlmodel import Session, col, select

from audit.checkpoints import CheckpointStore
from audit.keys import audit_key, canonical, entry_mac
from audit.report import ChainProblem, ChainReport
from audit.witness import against_checkpoints
from db.models import AuditEntry

__all__ = ["GENESIS", "PRUNED", "ChainProblem", "ChainReport", "Entry", "Link", "append",
           "append_many", "entry_hash", "verify"]

GENESIS = "0" * 64
PRUNED = "audit.pruned"  # the marker retention leaves where it removed old entries
_PG_LOCK_KEY = 0x56494749  # "VIGI"
_HEAD = "audit.chain.head"  # session.info: (the transaction, the Link it appended last)
_TABLE = AuditEntry.__table__  # type: ignore[attr-defined]


def entry_hash(
    *, seq: int, at: str, actor: str, action: str, subject: str, detail: dict, prev_hash: str
) -> str:
    """SHA-256 over a canonical JSON rendering of the entry and its predecessor's hash."""
    body = canonical([seq, at, actor, action, subject, detail, prev_hash])
    return hashlib.sha256(body).hexdigest()


class Link(NamedTuple):
    """What the next entry chains onto: an appended entry's position, hash and MAC."""

    seq: int
    hash: str
    mac: str | None


class Entry(NamedTuple):
    """One entry to append: who did what to which subject, and the detail."""

    actor: str
    action: str
    subject: str
    detail: dict[str, Any] | None = None


def append(
    session: Session, *, actor: str, action: str, subject: str, detail: dict[str, Any] | None = None
) -> Link:
    """Chain one entry onto the log inside the caller's write transaction (see `append_many`)."""
    (link,) = append_many(session, [Entry(actor, action, subject, detail)])
    return link


def append_many(session: Session, entries: list[Entry]) -> list[Link]:
    """Chain entries onto the log, in order, inside the caller's write transaction.

    The first append of a transaction takes the lock and reads the newest entry;
    later ones in the same transaction chain onto the entry it appended last
    (nobody else can append while the lock is held), without reading it back.
    The rows are inserted at once, as one statement, without building ORM objects:
    the log is append-only, so nothing about an entry is ever changed afterwards.
    """
    if not entries:
        return []
    held = session.info.get(_HEAD)
    if held is not None and held[0] is not None and held[0] is session.get_transaction():
        last: Link | None = held[1]
    else:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        with session.no_autoflush:  # every entry is inserted as it is appended: none is pending
            newest = session.execute(select(_TABLE.c.seq, _TABLE.c.hash, _TABLE.c.mac)
                                     .order_by(_TABLE.c.seq.desc()).limit(1)).first()
        last = Link(*newest) if newest else None
    key = audit_key()
    rows, links = [], []
    for entry in entries:
        at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        # Round-trip through JSON so the hash covers exactly what the JSON column stores.
        clean = json.loads(json.dumps(entry.detail or {}, default=str))
        fields = {"seq": (last.seq + 1) if last else 1, "at": at, "actor": entry.actor,
                  "action": entry.action, "subject": entry.subject, "detail": clean}
        prev = last.hash if last else GENESIS
        last = Link(fields["seq"], entry_hash(**fields, prev_hash=prev),
                    entry_mac(key, **fields, prev_mac=last.mac if last and last.mac else ""))
        rows.append({**fields, "prev_hash": prev, "hash": last.hash, "mac": last.mac})
        links.append(last)
    with session.no_autoflush:  # nothing pending bears on an append-only row
        session.execute(insert(_TABLE), rows)
    session.info[_HEAD] = (session.get_transaction(), last)
    return links


def _prune_marker(session: Session, first: AuditEntry) -> AuditEntry | None:
    """The recorded retention prune the log's first entry follows exactly, if any.

    Retention (audit.retention) may remove the oldest entries; it leaves an
    `audit.pruned` entry naming the last removed entry's seq, hash and MAC, which
    anchors the chain's new start. Nothing else may make it start later.
    """
    prunes = session.exec(select(AuditEntry).where(AuditEntry.action == PRUNED)).all()
    return next((p for p in prunes if p.detail.get("through_seq") == first.seq - 1
                 and p.detail.get("through_hash") == first.prev_hash), None)


def verify(session: Session, *, key: bytes | None = None,
           store: CheckpointStore | None = None) -> ChainReport:
    """Walk the whole chain and its MACs, hold it against the checkpoints, report every break."""
    key = key or audit_key()
    problems: list[ChainProblem] = []
    prev_hash, prev_mac, expected_seq = GENESIS, "", 1
    rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.seq))).all()
    marker = _prune_marker(session, rows[0]) if rows and rows[0].seq != 1 else None
    if marker:
        prev_hash, expected_seq = rows[0].prev_hash, rows[0].seq
        prev_mac = marker.detail.get("through_mac") or ""
    keyed_from: int | None = None
    for position, row in enumerate(rows, start=1):
        fields = {"seq": row.seq, "at": row.at, "actor": row.actor, "action": row.action,
                  "subject": row.subject, "detail": row.detail}
        if entry_hash(**fields, prev_hash=row.prev_hash) != row.hash:
            problems.append(ChainProblem(position, row.seq, "edited"))
        if row.seq != expected_seq:
            problems.append(ChainProblem(position, row.seq, "missing_before"))
        elif row.prev_hash != prev_hash:
            problems.append(ChainProblem(position, row.seq, "out_of_order"))
        if row.mac is None:
            if keyed_from is not None:  # once the log is keyed, it stays keyed
                problems.append(ChainProblem(position, row.seq, "mac_missing"))
        else:
            keyed_from = keyed_from or position
            if not hmac.compare_digest(entry_mac(key, **fields, prev_mac=prev_mac), row.mac):
                problems.append(ChainProblem(position, row.seq, "mac_invalid"))
        prev_hash, prev_mac, expected_seq = row.hash, row.mac or "", row.seq + 1
    witnessed = against_checkpoints(rows, store=store or CheckpointStore(), key=key,
                                    kept_from_seq=rows[0].seq if marker else 1)
    problems.extend(witnessed.problems)
    bounds = [p.position for p in problems] + [witnessed.cannot_vouch_from or len(rows) + 1]
    ok = not problems and not witnessed.rejected
    return ChainReport(
        ok=ok, entries=len(rows), head=prev_hash, problems=problems,
        cannot_vouch_from=min(bounds) if problems else None,
        unanchored_before=(keyed_from or len(rows) + 1) if rows and keyed_from != 1 else None,
        checkpoint=witnessed.matched.as_dict() if witnessed.matched else None,
        rejected_checkpoints=witnessed.rejected)
