"""The same schema, audit chain and event log on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import inspect
from sqlmodel import select

from audit.chain import Entry, append, append_many, verify
from db.engine import engines, reading, writing
from db.models import AuditEntry, Event
from events.hub import events_after
from events.publish import publish, publish_many
from settings import get_settings


def test_migrations_create_every_table(any_db: str) -> None:
    tables = set(inspect(engines(get_settings().database_url)[0]).get_table_names())
    assert {"staff", "facility", "escalationpolicy", "emergency", "deliveryattempt",
            "outboxmessage", "event", "auditentry", "alembic_version", "oncallschedule",
            "oncalllayer", "oncalloverride", "oncallswap"} <= tables


def test_concurrent_audit_appends_form_one_unbroken_chain(any_db: str) -> None:
    subject = f"chain-{uuid.uuid4().hex[:8]}"  # the running stack may append too, meanwhile

    def write(n: int) -> None:
        with writing() as session:
            append(session, actor=f"writer-{n % 4}", action="test.concurrent", subject=subject,
                   detail={"n": n})

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(40)))
    with reading() as session:
        report = verify(session)
        mine = session.exec(select(AuditEntry).where(AuditEntry.subject == subject)).all()
    assert report.ok, report.problems
    assert sorted(e.detail["n"] for e in mine) == list(range(40))
    assert len({e.seq for e in mine}) == 40


def test_an_event_written_in_a_failed_transaction_never_appears(any_db: str) -> None:
    topic = f"test:rollback:{any_db[-6:]}"
    try:
        with writing() as session:
            publish(session, topic=topic, kind="ghost", payload={})
            raise RuntimeError("something failed after the event was written")
    except RuntimeError:
        pass
    with writing() as session:
        kept = publish(session, topic=topic, kind="kept", payload={"n": 1})
    found = events_after([topic], 0)
    assert [e["kind"] for e in found] == ["kept"]
    assert found[0]["id"] == kept.id
    with reading() as session:
        assert session.exec(select(Event).where(Event.kind == "ghost")).first() is None


def test_entries_and_events_written_together_keep_their_order(any_db: str) -> None:
    """A page's records go in as one statement per table: the chain still runs through them in
    order, and the events keep the order and ids they were written with."""
    subject, topic = f"many-{uuid.uuid4().hex[:8]}", f"test:many:{any_db[-6:]}"
    with writing() as session:
        first = append(session, actor="test", action="test.one", subject=subject)
        links = append_many(session, [Entry("test", "test.many", subject, {"n": n})
                                      for n in range(3)])
        published = publish_many(session, [(topic, "many", {"n": n}) for n in range(3)])
    assert [link.seq for link in links] == [first.seq + 1, first.seq + 2, first.seq + 3]
    with reading() as session:
        report = verify(session)
        mine = session.exec(select(AuditEntry).where(AuditEntry.subject == subject)
                            .order_by(AuditEntry.seq)).all()
    assert report.ok, report.problems
    assert [e.hash for e in mine[1:]] == [link.hash for link in links]
    assert [e.detail.get("n") for e in mine] == [None, 0, 1, 2]
    found = events_after([topic], 0)
    assert [(e["id"], e["payload"]["n"]) for e in found] == [(p.id, n) for n, p in
                                                             enumerate(published)]
    assert [p.id for p in published] == sorted(p.id for p in published)
