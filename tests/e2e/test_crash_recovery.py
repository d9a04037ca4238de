"""Killing a process mid-escalation loses no alert and skips no tier (SPEC §8)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select
from temporalio.api.enums.v1 import EventType

from cli.stack import Stack
from cli.temporal_server import free_port, start_dev_server
from db.engine import reading
from db.models import AuditEntry
from tests.utils.api import as_user, emergency_body, fast_policy
from tests.utils.history import count, events
from tests.utils.records import attempts, emergency
from tests.utils.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.clock_minutes(1)]


async def _timers(temporal_address: str, workflow_id: str, kind: int) -> int:
    return count(await events(temporal_address, workflow_id), kind)


@dataclass
class RestartableTemporal:
    """A dev server of a test's own, killed and started again on the same file and port."""

    port: int
    db_file: Path
    log_file: Path
    process: subprocess.Popen[bytes] = field(init=False)

    def start(self) -> None:
        self.process = start_dev_server(port=self.port, ui_port=None, db_file=self.db_file,
                                        log_file=self.log_file, headless=True)

    def kill(self) -> None:
        """SIGKILL, as the outside campaign did: nothing is flushed or shut down."""
        self.process.kill()
        self.process.wait()


async def test_worker_killed_mid_escalation_continues_from_its_tier_without_skipping_one(
        stack, admin: httpx.AsyncClient, raise_emergency, temporal_address: str) -> None:
    policy = await fast_policy(admin, channels=[{"channel": "websocket"}, {"channel": "sms"}],
                               tiers=[
        {"name": "responders", "targets": "responders", "ack_timeout_s": 2},
        {"name": "charge nurse", "targets": "charge_nurse", "ack_timeout_s": 2},
        {"name": "admins", "targets": "admins", "ack_timeout_s": 60},
    ])
    emergency_id = await raise_emergency(policy_id=policy)
    await eventually(lambda: len(attempts(emergency_id, tier=0)) == 10, what="tier 1 paged")
    await eventually(lambda: _timers(temporal_address, emergency_id,
                                     EventType.EVENT_TYPE_TIMER_STARTED), what="tier 1's timer set")
    stack.kill_worker()
    try:
        # Tier 1's timer falls due while no worker runs: the server records it fired, and the
        # decision it asks for waits for a worker.
        await eventually(lambda: _timers(temporal_address, emergency_id,
                                         EventType.EVENT_TYPE_TIMER_FIRED),
                         what="tier 1's timer to fire during the outage")
    finally:
        stack.start_worker()
    await eventually(lambda: len(attempts(emergency_id, tier=2)) == 2, timeout_s=40,
                     what="the worker to resume and reach tier 3")
    pages = [(a.tier, a.recipient_id, a.channel) for a in attempts(emergency_id, kind="page")]
    assert Counter(pages).most_common(1)[0][1] == 1, "no page was sent twice"
    assert {(t, r) for t, r, _ in pages if t == 1} == {(1, "nurse-mei")}, "tier 2 was not skipped"
    assert {(t, r) for t, r, _ in pages if t == 2} == {(2, "admin-raj")}
    assert all(a.outcome == "sent" for a in attempts(emergency_id))
    assert emergency(emergency_id).tier == 2


def _journal_mode(db_file: Path) -> str:
    with closing(sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)) as connection:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]


@pytest.fixture
def own_temporal(sqlite_db: str, logs_dir: Path,
                 tmp_path: Path) -> Iterator[tuple[RestartableTemporal, Stack]]:
    """A Temporal dev server and a stack of their own, since the test kills the server."""
    server = RestartableTemporal(free_port(), tmp_path / "temporal.db",
                                 logs_dir / "temporal-restarts.log")
    server.start()
    stack = Stack(database_url=sqlite_db, temporal_address=f"127.0.0.1:{server.port}",
                  logs=logs_dir, name="temporal-kill")
    try:
        yield server, stack.start()
    finally:
        stack.stop()
        server.kill()


async def test_temporal_killed_mid_escalation_restarts_on_its_file_and_sends_the_due_step_late(
        own_temporal: tuple[RestartableTemporal, Stack]) -> None:
    server, stack = own_temporal
    async with as_user(stack.api_url, "admin-raj", "admin") as admin:
        policy = await fast_policy(admin, channels=[{"channel": "websocket"},
                                                    {"channel": "sms", "after_s": 4}], tiers=[
            {"name": "responders", "targets": "responders", "ack_timeout_s": 6},
            {"name": "charge nurse", "targets": "charge_nurse", "ack_timeout_s": 60},
        ])
        response = await admin.post("/emergencies", json=emergency_body(policy_id=policy))
        emergency_id = response.json()["id"]
        await eventually(lambda: attempts(emergency_id, tier=0, channel="websocket"),
                         what="tier 1's WebSocket pages")
        # The store the kill must not lose is a write-ahead log (cli/temporal_server.py).
        assert _journal_mode(server.db_file) == "wal"
        server.kill()
        await asyncio.sleep(8)  # the SMS step (4 s) and the tier's timeout (6 s) fall due meanwhile
        server.start()  # the same SQLite file, the same port
        await eventually(lambda: attempts(emergency_id, tier=1), timeout_s=60,
                         what="tier 2 paged after the restart")
        await admin.post(f"/emergencies/{emergency_id}/cancel", json={"reason": "test over"})
    responders = {a.recipient_id for a in attempts(emergency_id, tier=0, channel="websocket")}
    sms = attempts(emergency_id, tier=0, channel="sms")
    assert {a.recipient_id for a in sms} == responders, "the due SMS step reached every responder"
    assert all(a.outcome == "sent" for a in sms)
    with reading() as session:
        records = session.exec(select(AuditEntry).where(AuditEntry.subject == emergency_id)
                               .order_by(col(AuditEntry.seq))).all()
    late = next(r for r in records if r.action == "emergency.tier_paged"
                and r.detail["channels"] == ["sms"])
    escalated = next(r for r in records if r.action == "emergency.escalated")
    assert late.detail["late"] is True and late.detail["due_after_s"] == 4
    assert late.detail["late_by_s"] > 1
    assert late.seq < escalated.seq, "the late step went out before the tier advanced"
