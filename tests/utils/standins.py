"""Stand-in activities for workflow unit tests: the workflow's decisions, with no side effects."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities.delivery_types import (
    DeliveryBatchResult,
    DeliveryRequest,
    DeliveryResult,
)
from activities.directory import TargetQuery
from activities.emergency_records import BatchWithChanges, StateChange
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.emergency_types import EmergencyInput, Target
from workflows.policy import ChannelStep, PolicySnapshot, TierSpec


def batched(deliver: Callable[[DeliveryRequest], Awaitable[DeliveryResult]],
            record: Callable[[StateChange], Awaitable[None]] | None = None) -> Callable:
    """The `deliver_batch` stand-in: each request of a page through the test's own `deliver`
    stand-in, in the page's order (as the real batch records one attempt per request), then
    the emergency's changes that came with it through the test's `record` stand-in."""
    @activity.defn(name="deliver_batch")
    async def deliver_batch(batch: BatchWithChanges) -> DeliveryBatchResult:
        results = [await deliver(request) for request in batch.requests]
        if batch.changes and record is None:
            raise RuntimeError("changes came with a page, and this worker records none")
        for change in batch.changes:
            await record(change)  # type: ignore[misc]
        return DeliveryBatchResult(results)

    return deliver_batch


def stand_ins(fails: Callable[[DeliveryRequest], bool], sent: list[DeliveryRequest],
              changes: list[StateChange] | None = None) -> list:
    """deliver and deliver_batch (recording each request; `fails` decides the outcome), a one-person
    directory, and a recorder that keeps each state change in `changes`."""
    @activity.defn(name="deliver")
    async def deliver(request: DeliveryRequest) -> DeliveryResult:
        sent.append(request)
        outcome = "failed" if fails(request) else "sent"
        return DeliveryResult(request.attempt_id, request.channel, request.recipient_id, outcome)

    @activity.defn(name="resolve_targets")
    async def resolve_targets(query: TargetQuery) -> list[Target]:
        return [Target("dr-a", "Dr A", "provider", "emergency", 10.0)]

    @activity.defn(name="record_emergency_change")
    async def record(change: StateChange) -> None:
        if changes is not None:
            changes.append(change)

    return [deliver, batched(deliver, record), resolve_targets, record]


def emergency_input(channels: list[ChannelStep], tiers: list[TierSpec] | None = None,
                    repeat_count: int = 0, **fields: Any) -> EmergencyInput:
    """A critical emergency under a one-off policy, with a fresh workflow id."""
    policy = PolicySnapshot("p", "p", 1, channels, tiers or [TierSpec("t", "responders", 600)],
                            repeat_count)
    return EmergencyInput(
        emergency_id=f"unit-{uuid.uuid4().hex[:8]}", idempotency_key="k", type="choking",
        severity="critical", patient_id="p", facility_id="f", location={}, short_code="1234",
        created_by="someone", policy=policy, **fields)


@asynccontextmanager
async def escalating(client: Client, data: EmergencyInput, fails: Callable[[DeliveryRequest], bool],
                     sent: list[DeliveryRequest]) -> AsyncIterator[WorkflowHandle]:
    """The emergency workflow started on a worker of its own that runs the stand-ins."""
    from worker import SANDBOX

    queue = f"unit-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[EmergencyEscalationWorkflow],
                      activities=stand_ins(fails, sent), workflow_runner=SANDBOX):
        yield await client.start_workflow(EmergencyEscalationWorkflow.run, data,
                                          id=data.emergency_id, task_queue=queue)
