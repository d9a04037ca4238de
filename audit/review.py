"""What an audit reviewer can read about one workflow; every read is itself audited.

Shared by the review routes and the command line, so a read is recorded the
same way whichever door it came through.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any

from google.protobuf.json_format import MessageToDict
from temporalio.client import Client, WorkflowHistory

from audit.export import bundle_zip
from audit.history import audit_entries, fetch_runs, history_json, payload_values, record_access
from audit.replay import ReplayOutcome, closed_histories, replay
from audit.chain import verify
from audit.checkpointing import take_checkpoint
from audit.search import WorkflowFilter, search_workflows
from audit.timeline import TimelineItem, build_timeline
from audit.timeline_html import render_html
from db.engine import reading


@dataclass
class WorkflowRecord:
    workflow_id: str
    runs: list[WorkflowHistory]
    entries: list[dict[str, Any]]

    @property
    def events(self) -> list[dict[str, Any]]:
        return [event for run in self.runs for event in run.to_json_dict().get("events", [])]

    @property
    def patient_id(self) -> str | None:
        started = self.runs[0].events[0].workflow_execution_started_event_attributes
        data = (payload_values(MessageToDict(started.input)) or [None])[0]
        return data.get("patient_id") if isinstance(data, dict) else None

    def timeline(self) -> list[TimelineItem]:
        return build_timeline(self.events, self.entries)


async def load(client: Client, workflow_id: str) -> WorkflowRecord:
    """The workflow's kept history runs and its audit entries."""
    return WorkflowRecord(workflow_id, await fetch_runs(client, workflow_id),
                          await asyncio.to_thread(audit_entries, workflow_id))


async def _read(record: WorkflowRecord, reader: str, what: str) -> None:
    await asyncio.to_thread(partial(record_access, reader=reader, action=f"review.{what}",
                                    subject=record.workflow_id, patient_id=record.patient_id))


async def read_history(client: Client, workflow_id: str, *, reader: str) -> dict[str, Any]:
    record = await load(client, workflow_id)
    await _read(record, reader, "history")
    return history_json(workflow_id, record.runs)


async def read_timeline(client: Client, workflow_id: str, *, reader: str) -> list[TimelineItem]:
    record = await load(client, workflow_id)
    await _read(record, reader, "timeline")
    return record.timeline()


def _verification() -> dict[str, Any]:
    with reading() as session:
        return verify(session).as_dict()


def _html(record: WorkflowRecord, items: list[TimelineItem], reader: str,
          verification: dict[str, Any]) -> str:
    chain = "intact" if verification["ok"] else f"BROKEN: {verification['problems']}"
    return render_html(items, title=f"Timeline of {record.workflow_id}", facts={
        "Workflow": record.workflow_id, "Patient": record.patient_id or "-",
        "Runs": str(len(record.runs)), "Audit chain": f"{chain} ({verification['entries']} entries)",
        "Printed by": reader, "Printed at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })


async def timeline_page(client: Client, workflow_id: str, *, reader: str) -> str:
    record = await load(client, workflow_id)
    await _read(record, reader, "timeline")
    return _html(record, record.timeline(), reader,
                 await asyncio.to_thread(_verification))


async def export_bundle(client: Client, workflow_id: str, *, reader: str) -> bytes:
    """The zip described in audit/export.py."""
    record = await load(client, workflow_id)
    await _read(record, reader, "export")
    # Exporting checkpoints the head it verified, so the bundle can later prove what the log held.
    report, checkpoint = await asyncio.to_thread(take_checkpoint)
    items, verification = record.timeline(), report.as_dict()
    return bundle_zip(workflow_id=workflow_id, exported_by=reader,
                      history=history_json(workflow_id, record.runs),
                      timeline=[i.as_dict() for i in items],
                      timeline_html=_html(record, items, reader, verification),
                      entries=record.entries, verification=verification,
                      checkpoint=checkpoint.as_dict() if checkpoint else None)


async def replay_workflow(client: Client, workflow_id: str, *, reader: str) -> list[ReplayOutcome]:
    """Replay every kept run of one workflow against today's code."""
    record = await load(client, workflow_id)
    await _read(record, reader, "replay")
    return await replay(record.runs)


def _filter(f: WorkflowFilter) -> dict[str, str]:
    return {k: str(v) for k, v in vars(f).items() if v is not None}


async def replay_closed(client: Client, f: WorkflowFilter, limit: int, *,
                        reader: str) -> list[ReplayOutcome]:
    """Replay every workflow that closed in `f`'s range."""
    outcomes = await replay(closed_histories(client, f, limit))
    await asyncio.to_thread(partial(record_access, reader=reader, action="review.replay",
                                    subject="*", filter=_filter(f),
                                    workflows=[o.workflow_id for o in outcomes]))
    return outcomes


async def search(client: Client, f: WorkflowFilter, limit: int, *,
                 reader: str) -> list[dict[str, Any]]:
    """Workflows matching `f`; the search (and what it returned) is audited."""
    hits = await search_workflows(client, f, limit)
    await asyncio.to_thread(partial(record_access, reader=reader, action="review.search",
                                    subject=f.patient_id or "*", filter=_filter(f),
                                    returned=[hit["workflow_id"] for hit in hits]))
    return hits
