"""Record what a monitoring session decided: stored readings, projection row, live events, audit."""

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session
from temporalio import activity

from activities import webhook_events
from audit.chain import append as audit
from db.engine import writing
from db.models import MonitoringSession, VitalReading, utcnow
from events.publish import publish
from events.topics import family_topic, session_topic
from workflows.monitoring_types import AlarmChange, SessionInput, SessionView, StoredPoint

# What authorised family see: short and plain, never a value, score or reason.
FAMILY_TEXT = {
    "started": "Monitoring has started. The care team will be alerted to any change.",
    "emergency_started": "The care team has been alerted and is responding.",
    "ended": "Monitoring has ended.",
}
FAMILY_STATUS = {
    "high": ("alerted", "The care team has been alerted and is responding."),
    "medium": ("checking", "The care team is checking a change in the readings."),
}
STEADY = ("monitoring", "Readings are being monitored; nothing needs attention.")


@dataclass
class SessionChange:
    session_id: str
    patient_id: str
    change: str  # started, thresholds_changed, alarm_acknowledged, emergency_started, ended
    actor: str
    view: SessionView
    detail: dict[str, Any] = field(default_factory=dict)
    input: SessionInput | None = None  # on "started", so the projection can be (re)built


@dataclass
class ReadingsFlush:
    session_id: str
    patient_id: str
    batch: int  # numbers flushes, so a retried one is applied once
    view: SessionView
    points: list[StoredPoint] = field(default_factory=list)
    alarm_changes: list[AlarmChange] = field(default_factory=list)


def projection_from_input(data: SessionInput) -> MonitoringSession:
    """The MonitoringSession row a session's input describes, before any reading."""
    return MonitoringSession(
        id=data.session_id, patient_id=data.patient_id, monitoring_type=data.monitoring_type,
        facility_id=data.facility_id, location=data.location, short_code=data.short_code,
        devices=[asdict(d) for d in data.devices], care_team=data.care_team, viewers=data.viewers,
        family_viewers=data.family_viewers, thresholds=asdict(data.thresholds),
        expected_interval_s=data.expected_interval_s, timing=asdict(data.timing),
        created_by=data.created_by,
    )


def view_summary(view: SessionView) -> dict[str, Any]:
    """The part of the state a live viewer sees with every change."""
    return {"status": view.status, "latest_news2": view.latest_news2,
            "latest_trend": view.latest_trend, "latest_priority": view.latest_priority,
            "active_alarms": [asdict(a) for a in view.active_alarms],
            "emergencies": view.emergencies}


def _json(value: Any) -> Any:
    """JSON-column safe: times as ISO 8601 strings."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()
                                 if isinstance(v, datetime) else str(v)))


def _point(p: StoredPoint) -> dict[str, Any]:
    vitals = {k: v for k, v in asdict(p.vitals).items() if v is not None}
    # Stored in UTC: SQLite keeps no zone, and charts must order devices in +08:00 and Z alike.
    taken_at = p.taken_at.astimezone(timezone.utc)
    return {"seq": p.seq, "device_id": p.device_id, "taken_at": taken_at, "vitals": vitals,
            "news2": p.news2, "news2_complete": p.news2_complete, "trend": p.trend,
            "priority": p.priority}


def _project(row: MonitoringSession, view: SessionView) -> None:
    row.status, row.thresholds = view.status, asdict(view.thresholds)
    row.latest_news2, row.latest_priority = view.latest_news2, view.latest_priority
    row.active_alarms = _json([asdict(a) for a in view.active_alarms])
    row.emergencies = list(view.emergencies)
    row.updated_at = utcnow()


def _family(view: SessionView) -> tuple[str, str]:
    clinical = [a.priority for a in view.active_alarms if not a.key.startswith("device_silent:")]
    worst = max(clinical, key=("low", "medium", "high").index, default="low")
    return FAMILY_STATUS.get(worst, STEADY)


def _tell_family(session: Session, row: MonitoringSession | None, payload: dict[str, Any]) -> None:
    """Each family member the session names gets the update on their own stream; nobody else."""
    if row is None:
        return
    for member in row.family_viewers or []:
        publish(session, topic=family_topic(row.patient_id, member), kind="monitoring",
                payload=payload)


class MonitoringRecordActivities:
    @activity.defn(name="record_session_change")
    def record_change(self, change: SessionChange) -> None:
        """Update the projection, stream the change, and audit it, in one transaction."""
        with writing() as session:
            row = session.get(MonitoringSession, change.session_id)
            if row is None and change.input is not None:
                row = projection_from_input(change.input)
            if row is not None:
                _project(row, change.view)
                if change.change == "ended":
                    row.summary, row.ended_at = _json(change.detail), utcnow()
                session.add(row)
            payload = {"change": change.change, "state": view_summary(change.view), **change.detail}
            publish(session, topic=session_topic(change.session_id), kind=change.change,
                    payload=payload)
            if change.change in FAMILY_TEXT:
                _tell_family(session, row, {"subject_id": change.session_id,
                                            "status": change.view.status,
                                            "text": FAMILY_TEXT[change.change]})
            audit(session, actor=change.actor, action=f"monitoring.{change.change}",
                  subject=change.session_id, detail=payload)
            webhook_events.session_changed(session, change, row)

    @activity.defn(name="store_session_readings")
    def store_readings(self, flush: ReadingsFlush) -> int:
        """Store a batch of readings and alarm changes, stream them, audit the alarms."""
        with writing() as session:
            row = session.get(MonitoringSession, flush.session_id)
            if row is not None and row.last_flush >= flush.batch:
                return 0  # a retry of a flush that committed
            points = [_point(p) for p in flush.points]
            if points:
                session.execute(insert(VitalReading), [
                    {**p, "session_id": flush.session_id, "patient_id": flush.patient_id,
                     "received_at": f.received_at}
                    for p, f in zip(points, flush.points, strict=True)])
                live = [{**p, "taken_at": p["taken_at"].isoformat()} for p in points]
                publish(session, topic=session_topic(flush.session_id), kind="readings",
                        payload={"points": live, "state": view_summary(flush.view)})
            for change in flush.alarm_changes:
                detail = {**asdict(change), "state": view_summary(flush.view)}
                publish(session, topic=session_topic(flush.session_id), kind="alarm", payload=detail)
                audit(session, actor="vigil", action=f"monitoring.alarm_{change.kind}",
                      subject=flush.session_id, detail=detail)
            webhook_events.alarms_changed(session, flush, row)
            status, text = _family(flush.view)
            _tell_family(session, row, {"subject_id": flush.session_id, "status": status,
                                        "text": text, "readings": len(points)})
            if row is not None:
                _project(row, flush.view)
                row.last_flush = flush.batch
                if points:
                    row.readings = max(row.readings, max(p["seq"] for p in points))
                    row.last_reading_at = max(p["taken_at"] for p in points)
                session.add(row)
        return len(points)

