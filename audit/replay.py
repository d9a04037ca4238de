"""Replay recorded workflow histories against today's workflow code (Temporal's Replayer).

A clean replay shows the recorded decisions are what the code does; a
divergence names the workflow, the run and Temporal's account of where the
code and the history part ways.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer, WorkflowRunner
from temporalio.workflow import NondeterminismError

from audit.search import WorkflowFilter, visibility_query


@dataclass
class ReplayOutcome:
    workflow_id: str
    run_id: str
    workflow_type: str
    ok: bool
    events: int
    error_type: str | None = None  # "NondeterminismError" when the code diverged
    error: str | None = None  # Temporal's own words, e.g. "[TMPRL1100] Nondeterminism error: ..."
    diverged_at_event: int | None = None  # when Temporal names the history event

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def current_replayer(workflows: list[type] | None = None,
                     runner: WorkflowRunner | None = None) -> Replayer:
    """The worker's own workflows, in its sandbox: replay runs the code production runs, and
    the sandbox catches a non-deterministic call even in the emergency workflow, which the
    worker runs outside it for speed (worker.EMERGENCY_RUNNER)."""
    from worker import EMERGENCY_WORKFLOWS, ROUTINE_WORKFLOWS, SANDBOX

    return Replayer(workflows=workflows or [*EMERGENCY_WORKFLOWS, *ROUTINE_WORKFLOWS],
                    workflow_runner=runner or SANDBOX)


def _explain(failure: Exception) -> tuple[str, int | None]:
    """Temporal wraps the reason in a Rust debug dump; keep the reason and the event id."""
    text = str(failure)
    reason = re.search(r'message: "((?:[^"\\]|\\.)*)"', text)
    event = re.search(r"HistoryEvent\(id: (\d+)", text)
    return (reason.group(1) if reason else text), (int(event.group(1)) if event else None)


def _type_of(history: WorkflowHistory) -> str:
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


async def _aiter(histories: Iterable[WorkflowHistory] | AsyncIterator[WorkflowHistory],
                 ) -> AsyncIterator[WorkflowHistory]:
    if isinstance(histories, AsyncIterator):
        async for history in histories:
            yield history
    else:
        for history in histories:
            yield history


async def replay(histories: Iterable[WorkflowHistory] | AsyncIterator[WorkflowHistory],
                 replayer: Replayer | None = None) -> list[ReplayOutcome]:
    """Replay each history; a failure is reported, never raised."""
    outcomes = []
    async with (replayer or current_replayer()).workflow_replay_iterator(
            _aiter(histories)) as results:
        async for result in results:
            history, failure = result.history, result.replay_failure
            outcome = ReplayOutcome(workflow_id=history.workflow_id, run_id=history.run_id,
                                    workflow_type=_type_of(history), ok=failure is None,
                                    events=len(history.events))
            if failure is not None:
                outcome.error_type = ("NondeterminismError" if isinstance(
                    failure, NondeterminismError) else type(failure).__name__)
                outcome.error, outcome.diverged_at_event = _explain(failure)
            outcomes.append(outcome)
    return outcomes


async def closed_histories(client: Client, f: WorkflowFilter,
                           limit: int) -> AsyncIterator[WorkflowHistory]:
    """Histories of the workflows that closed in `f`'s range (and match its other fields)."""
    query = visibility_query(f) + " AND ExecutionStatus != 'Running'"
    async for history in client.list_workflows(query, limit=limit).map_histories():
        yield history
