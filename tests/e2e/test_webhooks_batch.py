"""A batch of first tries: sent in order, each recorded and audited, stopped at the first
event not delivered (so nothing after it is sent before it), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from sqlmodel import col, select
from temporalio.testing import ActivityEnvironment

from activities import webhook_delivery, webhook_try_records
from activities.webhook_delivery import WebhookActivities
from audit.chain import verify
from channels.webhook_secrets import encrypt, new_secret
from db.engine import reading, writing
from db.models import AuditEntry, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from settings import get_settings
from tests.utils.webhook_receiver import Receiver, webhook_receiver
from workflows.webhook_delivery_types import SendBatch

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def _outbox(url: str, events: int) -> tuple[str, list[int]]:
    """An endpoint (written directly: no delivery workflow competes) owed `events` events."""
    endpoint_id = f"whe-{uuid.uuid4().hex[:12]}"
    with writing() as session:
        session.add(WebhookEndpoint(id=endpoint_id, url=url, event_types=["monitoring.ended"],
                                    payload="thin", enabled=True,
                                    secret_encrypted=encrypt(new_secret()), created_by="test"))
        rows = [WebhookDelivery(webhook_id=f"msg_{uuid.uuid4().hex}", endpoint_id=endpoint_id,
                                event_type="monitoring.ended", subject_id=f"s-{i}",
                                facts={"session_id": f"s-{i}", "order": i},
                                occurred_at=datetime.now(timezone.utc)) for i in range(events)]
        session.add_all(rows)
        session.flush()
        seqs = [r.seq for r in rows if r.seq is not None]
    return endpoint_id, seqs


def test_a_batch_sends_in_order_and_stops_at_the_first_event_not_delivered(
        any_db: str, receiver: Receiver) -> None:
    endpoint_id, seqs = _outbox(receiver.url, 4)
    receiver.script = [200, 200, 500]
    activities = WebhookActivities(get_settings().model_copy(update={"dev_mode": True}))
    beats: list[object] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details)

    outcome = env.run(activities.send_batch,
                      SendBatch(endpoint_id, seqs, datetime.now(timezone.utc)))

    assert outcome.delivered == 2
    assert outcome.stopped is not None
    assert (outcome.stopped.outcome, outcome.stopped.status_code) == ("retry", 500)
    # The fourth event was never sent: the receiver saw the first three, in order.
    assert [json.loads(r.body)["data"]["session_id"] for r in receiver.received] == \
        ["s-0", "s-1", "s-2"]
    assert len(beats) == 3
    with reading() as session:
        status = {d.seq: d.status for d in session.exec(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))}
        tries = session.exec(select(WebhookAttempt).where(
            WebhookAttempt.endpoint_id == endpoint_id).order_by(col(WebhookAttempt.id))).all()
        audited = session.exec(select(AuditEntry.action).where(
            AuditEntry.subject == endpoint_id).order_by(col(AuditEntry.seq))).all()
    assert [status[s] for s in seqs] == ["delivered", "delivered", "pending", "pending"]
    assert [(t.delivery_seq, t.number, t.status_code, t.outcome) for t in tries] == [
        (seqs[0], 1, 200, "delivered"), (seqs[1], 1, 200, "delivered"),
        (seqs[2], 1, 500, "retry")]
    assert list(audited) == ["webhook.delivered", "webhook.delivered", "webhook.retry"]


def test_a_batch_stops_starting_requests_once_its_budget_is_spent(
        any_db: str, receiver: Receiver) -> None:
    endpoint_id, seqs = _outbox(receiver.url, 3)
    activities = WebhookActivities(get_settings().model_copy(update={"dev_mode": True}))
    outcome = ActivityEnvironment().run(
        activities.send_batch, SendBatch(endpoint_id, seqs, datetime.now(timezone.utc),
                                         budget_s=0))
    assert (outcome.delivered, outcome.stopped) == (1, None)  # the first is always sent
    assert len(receiver.received) == 1


def _tries(endpoint_id: str) -> list[tuple[int, int | None, str]]:
    with reading() as session:
        return [(t.delivery_seq, t.status_code, t.outcome) for t in session.exec(
            select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint_id)
            .order_by(col(WebhookAttempt.id)))]


def test_tries_recorded_several_to_a_transaction_are_each_their_own_record_and_audit_entry(
        any_db: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_delivery, "RECORD_AT_ONCE", 2)  # 5 tries: written 2, 2 and 1
    endpoint_id, seqs = _outbox(receiver.url, 5)
    activities = WebhookActivities(get_settings().model_copy(update={"dev_mode": True}))

    outcome = ActivityEnvironment().run(activities.send_batch,
                                        SendBatch(endpoint_id, seqs, datetime.now(timezone.utc)))

    assert (outcome.delivered, outcome.stopped) == (5, None)
    assert _tries(endpoint_id) == [(seq, 200, "delivered") for seq in seqs]
    with reading() as session:
        ids = {d.seq: d.webhook_id for d in session.exec(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))}
        audited = session.exec(select(AuditEntry).where(
            AuditEntry.subject == endpoint_id).order_by(col(AuditEntry.seq))).all()
        report = verify(session)
    assert [(e.action, e.detail["webhook_id"]) for e in audited] == \
        [("webhook.delivered", ids[seq]) for seq in seqs]
    assert [r.headers["webhook-id"] for r in receiver.received] == [ids[seq] for seq in seqs]
    assert report.ok, report.problems


def test_a_410_in_a_batch_is_recorded_after_the_tries_before_it_and_disables_the_endpoint(
        any_db: str, receiver: Receiver) -> None:
    endpoint_id, seqs = _outbox(receiver.url, 3)
    receiver.script = [200, 410]
    activities = WebhookActivities(get_settings().model_copy(update={"dev_mode": True}))

    outcome = ActivityEnvironment().run(activities.send_batch,
                                        SendBatch(endpoint_id, seqs, datetime.now(timezone.utc)))

    assert outcome.delivered == 1
    assert outcome.stopped is not None and outcome.stopped.outcome == "gone"
    assert len(receiver.received) == 2
    assert _tries(endpoint_id) == [(seqs[0], 200, "delivered"), (seqs[1], 410, "gone")]
    with reading() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
    assert endpoint is not None and not endpoint.enabled


def test_an_endpoint_disabled_during_a_batch_gets_no_request_after_the_next_record(
        any_db: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_delivery, "RECORD_AT_ONCE", 1)
    endpoint_id, seqs = _outbox(receiver.url, 4)
    activities = WebhookActivities(get_settings().model_copy(update={"dev_mode": True}))

    def disable_before_the_second_try(done: int) -> None:
        if done == 1:
            with writing() as session:
                endpoint = session.get(WebhookEndpoint, endpoint_id)
                assert endpoint is not None
                endpoint.enabled = False
                session.add(endpoint)

    env = ActivityEnvironment()
    env.on_heartbeat = disable_before_the_second_try
    outcome = env.run(activities.send_batch,
                      SendBatch(endpoint_id, seqs, datetime.now(timezone.utc)))

    # The second try was already under way with the endpoint as read; its record saw the change.
    assert outcome.delivered == 2
    assert outcome.stopped is not None and outcome.stopped.outcome == "disabled"
    assert len(receiver.received) == 2


def test_a_try_whose_record_was_lost_is_sent_again_with_the_same_webhook_id(
        any_db: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint_id, seqs = _outbox(receiver.url, 2)
    activities = WebhookActivities(get_settings().model_copy(update={"dev_mode": True}))

    def killed(tries: list[object]) -> None:
        raise RuntimeError("the worker died before the record committed")

    monkeypatch.setattr(webhook_try_records, "record", killed)
    with pytest.raises(RuntimeError):
        ActivityEnvironment().run(activities.send_batch,
                                  SendBatch(endpoint_id, seqs, datetime.now(timezone.utc)))
    assert _tries(endpoint_id) == []
    monkeypatch.undo()
    outcome = ActivityEnvironment().run(activities.send_batch,
                                        SendBatch(endpoint_id, seqs, datetime.now(timezone.utc)))

    assert (outcome.delivered, outcome.stopped) == (2, None)
    sent = [r.headers["webhook-id"] for r in receiver.received]
    assert len(sent) == 4 and sent[:2] == sent[2:] and sent[0] != sent[1]
    assert _tries(endpoint_id) == [(seqs[0], 200, "delivered"), (seqs[1], 200, "delivered")]
