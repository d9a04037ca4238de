"""The same schema, audit chain and event log on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import inspect
from sqlmodel import select

from audit.chain import append, verify
from db.engine import engines, reading, writing
from db.models import AuditEntry, Event
from events.hub import events_after
from events.publish import publish
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
