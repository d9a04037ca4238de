"""A page's deliveries sent as one batch keep every promise of the delivery path.

One attempt record per message; a message already finished is answered from its
record, never sent again; a call cut short is sent again and its `tries` says so;
a provider's passing fault leaves its attempt open for `deliver`'s own retries.
Run against the real databases with a scripted provider (the Temporal side of
batches is covered by the paging, channel and crash-recovery tests).
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import replace

import pytest
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.delivery import DeliveryActivities
from activities.delivery_types import RETRYING, DeliveryBatch, DeliveryRequest
from activities.emergency_records import BatchWithChanges, StateChange
from channels.base import OutboundMessage, PermanentChannelError, SendResult, TransientChannelError
from channels.local import WebSocketChannel
from db.engine import reading
from db.models import AuditEntry, DeliveryAttempt, Event, as_utc
from events.topics import staff_topic
from tests.utils.standins import emergency_input
from workflows.emergency_types import EmergencyState
from workflows.policy import ChannelStep

PEOPLE = ("dr-tan", "nurse-mei")


class ScriptedSms:
    """A provider whose answers to each person are scripted: a list of exceptions to raise
    on that person's first calls, then "sent"."""

    channel = "sms"

    def __init__(self, script: dict[str, list[Exception]]) -> None:
        self.script, self.calls = script, Counter[str]()

    def send(self, message: OutboundMessage) -> SendResult:
        person = message.recipient.staff_id
        self.calls[person] += 1
        if self.script.get(person):
            raise self.script[person].pop(0)
        return SendResult(provider_message_id=f"SM-{person}-{self.calls[person]}")


def a_page(channels: tuple[str, ...] = ("websocket", "sms")) -> list[DeliveryRequest]:
    subject = f"batch-{uuid.uuid4().hex[:8]}"
    return [DeliveryRequest(attempt_id=f"{subject}/r0t0/{person}/{channel}", subject_id=subject,
                            recipient_id=person, channel=channel, kind="page",
                            content={"severity": "critical", "short_code": "B1"})
            for channel in channels for person in PEOPLE]


def recorded(requests: list[DeliveryRequest]) -> dict[tuple[str, str], DeliveryAttempt]:
    with reading() as session:
        rows = session.exec(select(DeliveryAttempt).where(
            DeliveryAttempt.subject_id == requests[0].subject_id)).all()
    return {(r.recipient_id, r.channel): r for r in rows}


def websocket_pages(subject_id: str) -> int:
    with reading() as session:
        events = session.exec(select(Event).where(
            Event.topic.in_([staff_topic(p) for p in PEOPLE]))).all()  # type: ignore[attr-defined]
    return sum(1 for e in events if e.payload.get("subject_id") == subject_id)


def delivery(sms: ScriptedSms) -> DeliveryActivities:
    return DeliveryActivities({"websocket": WebSocketChannel(), "sms": sms}, send_threads=4)


def test_a_batch_cut_short_resends_only_the_call_it_cut_and_counts_the_try(any_db: str) -> None:
    sms = ScriptedSms({"nurse-mei": [RuntimeError("worker lost mid-call")]})
    page, run = a_page(), ActivityEnvironment().run
    with pytest.raises(RuntimeError):
        run(delivery(sms).deliver_batch, DeliveryBatch(page))
    retried = run(delivery(sms).deliver_batch, DeliveryBatch(page))  # Temporal's retry
    assert [r.outcome for r in retried.results] == ["sent"] * 4
    attempts = recorded(page)
    assert len(attempts) == 4, "one attempt record per person and channel"
    assert attempts[("nurse-mei", "sms")].tries == 2, "the cut-short call is counted"
    assert {k: a.tries for k, a in attempts.items() if k != ("nurse-mei", "sms")} == {
        ("dr-tan", "websocket"): 1, ("nurse-mei", "websocket"): 1, ("dr-tan", "sms"): 1}
    assert sms.calls == {"dr-tan": 1, "nurse-mei": 2}, "the finished SMS is not sent again"
    assert websocket_pages(page[0].subject_id) == 2, "each WebSocket page went out once"


def test_a_passing_fault_leaves_its_attempt_open_for_deliver_and_a_permanent_one_fails_alone(
        any_db: str) -> None:
    sms = ScriptedSms({"dr-tan": [TransientChannelError("503 busy")],
                       "nurse-mei": [PermanentChannelError("21211 not a valid number")]})
    page, run = a_page(("sms",)), ActivityEnvironment().run
    batch = run(delivery(sms).deliver_batch, DeliveryBatch(page))
    assert [(r.recipient_id, r.outcome) for r in batch.results] == [
        ("dr-tan", RETRYING), ("nurse-mei", "failed")]
    open_ = recorded(page)[("dr-tan", "sms")]
    assert (open_.outcome, open_.tries, open_.error) == ("sending", 1, "503 busy")
    later = run(delivery(sms).deliver, page[0])  # the pager hands it to `deliver`
    assert later.outcome == "sent"
    assert recorded(page)[("dr-tan", "sms")].tries == 2
    assert recorded(page)[("nurse-mei", "sms")].outcome == "failed"
    assert sms.calls == {"dr-tan": 2, "nurse-mei": 1}


def test_a_page_written_again_pages_nobody_twice_records_once_and_says_since_when(
        any_db: str) -> None:
    """The workflow task that wrote a tier's page inside itself ran again (its completion was
    lost): the same batch, with the same records of what the workflow decided, is written
    again. Nobody is paged twice, nothing is recorded twice, and the answer says when the
    page first went out, which the workflow keeps its clock by."""
    data = replace(emergency_input([ChannelStep("websocket")]), idempotency_key=uuid.uuid4().hex)
    page = [DeliveryRequest(attempt_id=f"{data.emergency_id}/r0t0/{person}/websocket",
                            subject_id=data.emergency_id, recipient_id=person,
                            channel="websocket", kind="page", content={"severity": "critical"})
            for person in PEOPLE]
    changes = [StateChange(data.emergency_id, data.patient_id, "started", "someone",
                           EmergencyState(), input=data),
               StateChange(data.emergency_id, data.patient_id, "tier_paged", "vigil",
                           EmergencyState(), detail={"tier_name": "t"})]
    run, sms = ActivityEnvironment().run, ScriptedSms({})
    first = run(delivery(sms).deliver_batch, BatchWithChanges(page, changes))
    again = run(delivery(sms).deliver_batch, BatchWithChanges(page, changes))
    assert first.written_before is None, "the first write is the first"
    assert [r.outcome for r in again.results] == [r.outcome for r in first.results] == ["sent"] * 2
    attempts = recorded(page)
    assert {a.tries for a in attempts.values()} == {1}, "answered from the records"
    assert again.written_before == min(as_utc(a.created_at).timestamp() for a in attempts.values())
    assert websocket_pages(data.emergency_id) == 2, "each person paged once"
    with reading() as session:
        actions = [e.action for e in session.exec(select(AuditEntry).where(
            AuditEntry.subject == data.emergency_id)).all()]
    assert sorted(a for a in actions if a.startswith("emergency.")) == [
        "emergency.started", "emergency.tier_paged"], "each change recorded once"
