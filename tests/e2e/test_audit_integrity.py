"""An edited, deleted or reordered audit entry is reported at its position; retention keeps the chain.

The tamper tests change three entries of their own in the shared databases
and put them back, so the chain is whole again for every other test.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from audit.chain import append, verify
from audit.export import bundle_zip, read_bundle
from audit.retention import prune_audit_log
from db.engine import database_url, engines, reading, writing
from db.models import AuditEntry


def own_entries(count: int = 3) -> list[int]:
    """Append `count` entries of this test's own; their seqs."""
    with writing() as session:
        return [append(session, actor="test", action="test.tamper", subject=uuid.uuid4().hex,
                       detail={"n": n}).seq for n in range(count)]


def position(seq: int) -> int:
    """1-based position of `seq` in the log as the verifier reads it."""
    with reading() as session:
        seqs = list(session.exec(select(AuditEntry.seq).order_by(col(AuditEntry.seq))).all())
    return seqs.index(seq) + 1


def problems() -> set[tuple[int, int, str]]:
    with reading() as session:
        return {(p.position, p.seq, p.problem) for p in verify(session).problems}


def swap(a: int, b: int) -> None:
    with writing() as session:
        session.execute(text("UPDATE auditentry SET seq = -seq WHERE seq IN (:a, :b)"),
                        {"a": a, "b": b})
        session.execute(text("UPDATE auditentry SET seq = :b WHERE seq = :m"), {"b": b, "m": -a})
        session.execute(text("UPDATE auditentry SET seq = :a WHERE seq = :m"), {"a": a, "m": -b})


@contextmanager
def edited(seq: int) -> Iterator[None]:
    with writing() as session:
        row = session.get(AuditEntry, seq)
        original, row.detail = row.detail, {**row.detail, "n": 99}
        session.add(row)
    try:
        yield
    finally:
        with writing() as session:
            row = session.get(AuditEntry, seq)
            row.detail = original
            session.add(row)


@contextmanager
def deleted(seq: int) -> Iterator[None]:
    with writing() as session:
        row = session.get(AuditEntry, seq)
        kept = row.model_dump()
        session.delete(row)
    try:
        yield
    finally:
        with writing() as session:
            session.add(AuditEntry(**kept))


def test_an_edited_entry_is_reported_at_its_position(any_db: str) -> None:
    first, middle, last = own_entries()
    where = position(middle)
    with edited(middle):
        assert (where, middle, "edited") in problems()
    assert not {p for p in problems() if p[1] in (first, middle, last)}


def test_a_deleted_entry_is_reported_at_its_position(any_db: str) -> None:
    first, middle, last = own_entries()
    where = position(middle)
    with deleted(middle):
        # The entry after the gap now stands where the deleted one stood.
        assert (where, last, "missing_before") in problems()
    assert not {p for p in problems() if p[1] in (first, middle, last)}


def test_reordered_entries_are_reported_at_their_positions(any_db: str) -> None:
    first, middle, last = own_entries()
    where = position(first)
    swap(first, middle)
    try:
        found = problems()
        assert (where, first, "out_of_order") in found and (where + 1, middle, "edited") in found
    finally:
        swap(first, middle)
    assert not {p for p in problems() if p[1] in (first, middle, last)}


def test_pruning_archives_old_entries_and_the_rest_still_verifies(
        empty_db: str, tmp_path: Path) -> None:
    before = own_entries(5)
    later = datetime.now(timezone.utc) + timedelta(days=400)
    result = prune_audit_log(older_than_days=365, archive_dir=tmp_path / "archive",
                             actor="test", now=later)
    assert result.removed == 5
    archive = json.loads(Path(result.archive).read_text())
    assert [e["seq"] for e in archive["entries"]] == before and archive["verification"]["ok"]
    after = own_entries(2)
    with reading() as session:
        assert verify(session).ok  # the log starts past seq 1, and the prune marker explains it
    with edited(after[0]):
        assert (2, after[0], "edited") in problems()  # marker at 1, then the first kept entry


def test_deleting_the_start_of_the_log_without_a_prune_is_reported(empty_db: str) -> None:
    first, *_ = own_entries()
    with writing() as session:
        session.delete(session.get(AuditEntry, first))
    assert (1, first + 1, "missing_before") in problems()


def test_an_altered_export_bundle_is_caught() -> None:
    bundle = bundle_zip(workflow_id="w", exported_by="auditor-ng", history={"runs": []},
                        timeline=[], timeline_html="<p>", entries=[{"seq": 1}],
                        verification={"ok": True})
    assert read_bundle(bundle)["audit.json"] == [{"seq": 1}]
    with zipfile.ZipFile(io.BytesIO(bundle)) as original:
        parts = {name: original.read(name) for name in original.namelist()}
    parts["audit.json"] = b"[]"  # an entry quietly dropped
    altered = io.BytesIO()
    with zipfile.ZipFile(altered, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)
    with pytest.raises(ValueError, match="audit.json"):
        read_bundle(altered.getvalue())


def test_entries_of_one_transaction_chain_on_each_other_and_the_next_transaction_reads_the_head(
        any_db: str) -> None:
    """Appends within a transaction reuse its head; after a commit, another writer's entry
    may come first, and the session's next append must chain onto that one, not its own."""
    with Session(engines(database_url())[1], expire_on_commit=False) as session:
        together = [append(session, actor="test", action="test.batch", subject=uuid.uuid4().hex,
                           detail={"n": n}).seq for n in range(3)]
        session.commit()
        (between,) = own_entries(1)
        after = append(session, actor="test", action="test.batch", subject=uuid.uuid4().hex).seq
        session.commit()
    assert together == [together[0], together[0] + 1, together[0] + 2]
    assert between == together[-1] + 1 and after == between + 1
    assert not {p for p in problems() if p[1] in (*together, between, after)}
