"""Record what a medication schedule decided: projection row, dose row, live event, audit entry."""

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from temporalio import activity

from activities import webhook_care_events
from audit.chain import append as audit
from db.engine import writing
from db.models import DoseRecord, MedicationSchedule, utcnow
from events.publish import publish
from events.topics import medication_topic
from workflows.medication_types import DoseOutcome, ScheduleInput, ScheduleView


@dataclass
class MedicationChange:
    schedule_id: str
    patient_id: str
    change: str  # started, reminded, dose_taken, dose_missed, dose_late, paused, changed, ...
    actor: str
    view: ScheduleView
    detail: dict[str, Any] = field(default_factory=dict)
    dose: DoseOutcome | None = None  # the dose this change is about, as it now stands
    input: ScheduleInput | None = None  # on "started", so the projection can be (re)built


def _json(value: Any) -> Any:
    """JSON-column safe: times as ISO 8601 strings."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()
                                 if isinstance(v, datetime) else str(v)))


def projection_from_input(data: ScheduleInput) -> MedicationSchedule:
    """The MedicationSchedule row a schedule's input describes, before any dose."""
    return MedicationSchedule(
        id=data.schedule_id, patient_id=data.patient_id,
        medications=_json([asdict(m) for m in data.terms.medications]),
        schedule=_json(asdict(data.terms.schedule)), reminders=_json(asdict(data.terms.reminders)),
        preferences=_json(asdict(data.preferences)),
        escalation_contacts=list(data.escalation_contacts), warnings=list(data.warnings),
        created_by=data.created_by)


def view_summary(view: ScheduleView) -> dict[str, Any]:
    """What a live viewer sees with every change."""
    return _json({"status": view.status, "next_dose_at": view.next_dose_at, "doses": view.doses,
                  "open_dose": asdict(view.open_dose) if view.open_dose else None,
                  "adherence": {k: asdict(v) for k, v in view.adherence.items()},
                  "flags": view.flags})


def _dose_row(row: DoseRecord | None, change: MedicationChange, dose: DoseOutcome) -> DoseRecord:
    row = row or DoseRecord(id=f"{change.schedule_id}/{dose.dose_id}",
                            schedule_id=change.schedule_id, patient_id=change.patient_id,
                            dose_id=dose.dose_id, due_at=dose.due_at, remind_at=dose.remind_at)
    row.outcome, row.medications, row.moves = dose.outcome, list(dose.medications), list(dose.moves)
    row.reminders, row.escalated_to = dose.reminders, list(dose.escalated_to)
    row.confirmed_at, row.confirmed_by = dose.confirmed_at, dose.confirmed_by
    row.on_behalf = dose.on_behalf
    row.via, row.reason, row.updated_at = dose.via, dose.reason, utcnow()
    return row


class MedicationRecordActivities:
    @activity.defn(name="record_medication_change")
    def record_change(self, change: MedicationChange) -> None:
        """Update the projection and the dose's row, stream and audit it, in one transaction."""
        view = change.view
        with writing() as session:
            row = session.get(MedicationSchedule, change.schedule_id)
            if row is None and change.input is not None:
                row = projection_from_input(change.input)
            if row is not None:
                row.status, row.flags = view.status, list(view.flags)
                row.next_dose_at = view.next_dose_at
                row.paused_by = view.detail.get("paused_by")
                if "terms" in change.detail:
                    terms = change.detail["terms"]
                    row.medications, row.schedule = terms["medications"], terms["schedule"]
                    row.reminders = terms["reminders"]
                row.updated_at = utcnow()
                session.add(row)
            if change.dose is not None:
                existing = session.get(DoseRecord, f"{change.schedule_id}/{change.dose.dose_id}")
                session.add(_dose_row(existing, change, change.dose))
            payload = _json({"change": change.change, "state": view_summary(view),
                             "dose": asdict(change.dose) if change.dose else None, **change.detail})
            publish(session, topic=medication_topic(change.schedule_id), kind=change.change,
                    payload=payload)
            audit(session, actor=change.actor, action=f"medication.{change.change}",
                  subject=change.schedule_id, detail=payload)
            webhook_care_events.medication_changed(session, change)
