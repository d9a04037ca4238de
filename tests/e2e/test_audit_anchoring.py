"""A database writer without the audit key: truncation and a recomputed chain are caught.

What the MACs and the checkpoints add to the hash chain (docs/AUDIT.md,
Integrity). Every test breaks its log on purpose, so each runs on an empty
database of its own, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select

from audit.chain import GENESIS, append, entry_hash, verify
from audit.checkpointing import take_checkpoint
from audit.checkpoints import Checkpoint, CheckpointStore, checkpoint_ok
from audit.export import bundle_zip, read_bundle
from audit.keys import audit_key
from audit.report import ChainReport
from db.engine import reading, writing
from db.models import AuditEntry


def entries(count: int) -> list[int]:
    with writing() as session:
        return [append(session, actor="test", action="test.anchor", subject=uuid.uuid4().hex,
                       detail={"n": n}).seq for n in range(count)]


def report() -> ChainReport:
    with reading() as session:
        return verify(session)


def found(r: ChainReport) -> list[tuple[int, int, str]]:
    return [(p.position, p.seq, p.problem) for p in r.problems]


def rewrite_from(seq: int, **changes: Any) -> None:
    """What a writer without the key can do: change an entry, recompute every later hash."""
    with writing() as session:
        before = session.get(AuditEntry, seq - 1)
        prev = before.hash if before else GENESIS
        rows = session.exec(select(AuditEntry).where(col(AuditEntry.seq) >= seq)
                            .order_by(col(AuditEntry.seq))).all()
        for row in rows:
            for name, value in (changes if row.seq == seq else {}).items():
                setattr(row, name, value)
            row.prev_hash, row.hash = prev, entry_hash(
                seq=row.seq, at=row.at, actor=row.actor, action=row.action,
                subject=row.subject, detail=row.detail, prev_hash=prev)
            prev = row.hash
            session.add(row)


def delete_from(seq: int) -> None:
    with writing() as session:
        session.execute(text("DELETE FROM auditentry WHERE seq >= :s"), {"s": seq})


def checkpoint_files() -> list[Path]:
    return sorted(CheckpointStore().directory.glob("*.json"))


def test_a_valid_log_verifies_ok_against_its_checkpoints(empty_db: str) -> None:
    entries(3)
    take_checkpoint()
    entries(2)
    _, newest = take_checkpoint()
    r = report()
    assert r.ok and not r.problems and r.entries == 5
    assert r.cannot_vouch_from is None and r.unanchored_before is None
    assert newest is not None and r.checkpoint == newest.as_dict() and newest.seq == 5
    assert newest.head == r.head
    take_checkpoint()  # nothing appended since: no new file
    assert len(checkpoint_files()) == 2


def test_deleting_the_newest_entries_is_reported_as_truncation(empty_db: str) -> None:
    entries(3)
    take_checkpoint()
    entries(2)
    take_checkpoint()
    delete_from(4)
    r = report()
    assert not r.ok and found(r) == [(4, 4, "truncated")]
    assert r.cannot_vouch_from == 4  # entries 1-3 still match the checkpoint of seq 3
    assert r.checkpoint is not None and r.checkpoint["seq"] == 3
    # Vigil writing on over the gap does not hide it: seq 5 is no longer what was checkpointed.
    entries(3)
    r = report()
    assert not r.ok and found(r) == [(5, 5, "diverged")] and r.cannot_vouch_from == 4


def test_editing_a_middle_entry_and_recomputing_every_later_hash_is_reported_there(
        empty_db: str) -> None:
    entries(6)
    take_checkpoint()
    rewrite_from(3, actor="someone-else")
    r = report()
    # The hash chain is whole again; the MAC of the entry edited is not, nor is the head.
    assert found(r) == [(3, 3, "mac_invalid"), (6, 6, "diverged")]
    assert not r.ok and r.cannot_vouch_from == 3


def test_without_a_checkpoint_the_mac_alone_names_the_entry_edited(empty_db: str) -> None:
    entries(5)
    rewrite_from(2, detail={"n": 99})
    r = report()
    assert found(r) == [(2, 2, "mac_invalid")] and r.cannot_vouch_from == 2


def test_no_checkpoint_is_taken_of_a_chain_that_does_not_verify(empty_db: str) -> None:
    entries(3)
    rewrite_from(2, actor="someone-else")
    r, checkpoint = take_checkpoint()
    assert not r.ok and checkpoint is None and not checkpoint_files()


def test_entries_from_before_the_key_are_reported_unanchored(empty_db: str) -> None:
    with writing() as session:  # as the code before the key wrote them: hashes, no MAC
        prev = GENESIS
        for seq in (1, 2):
            fields: dict[str, Any] = {"seq": seq, "at": f"2026-01-0{seq}T00:00:00+00:00",
                                      "actor": "old", "action": "test.old", "subject": "s",
                                      "detail": {}}
            row = AuditEntry(**fields, prev_hash=prev, hash=entry_hash(**fields, prev_hash=prev))
            session.add(row)
            prev = row.hash
    entries(2)
    r = report()
    assert r.ok and r.unanchored_before == 3 and r.cannot_vouch_from is None
    with writing() as session:  # stripping a MAC does not make an entry look old
        session.execute(text("UPDATE auditentry SET mac = NULL WHERE seq = 4"))
    assert (4, 4, "mac_missing") in found(report())


def test_a_checkpoint_not_signed_with_the_audit_key_is_rejected(empty_db: str) -> None:
    entries(2)
    CheckpointStore().write(Checkpoint.signed(b"not-the-key", seq=99, head="f" * 64, mac=None))
    r = report()
    assert not r.ok and not r.problems and r.cannot_vouch_from is None
    assert len(r.rejected_checkpoints) == 1  # and it did not claim a truncation


def test_pruned_entries_do_not_count_as_truncated(empty_db: str, tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    from audit.retention import prune_audit_log

    entries(4)
    take_checkpoint()
    prune_audit_log(older_than_days=1, archive_dir=tmp_path, actor="test",
                    now=datetime.now(timezone.utc) + timedelta(days=2))
    entries(2)
    r = report()
    assert r.ok, r.problems
    take_checkpoint()
    assert report().ok


def test_an_export_bundle_carries_a_signed_checkpoint_that_verifies(empty_db: str) -> None:
    entries(3)
    verification, checkpoint = take_checkpoint()
    assert checkpoint is not None
    bundle = read_bundle(bundle_zip(
        workflow_id="w", exported_by="auditor-ng", history={"runs": []}, timeline=[],
        timeline_html="<p>", entries=[], verification=verification.as_dict(),
        checkpoint=checkpoint.as_dict()))
    exported = bundle["checkpoint.json"]
    assert checkpoint_ok(exported, audit_key())
    assert exported["seq"] == 3 and exported["head"] == verification.head
    assert bundle["verification.json"]["checkpoint"] == exported
    assert not checkpoint_ok({**exported, "seq": 2}, audit_key())
    assert not checkpoint_ok(exported, b"another key")
