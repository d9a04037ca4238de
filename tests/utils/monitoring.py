"""Monitoring-session test helpers: fixtures, readings with a known NEWS2, what was announced."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from cli.stack import Stack
from db.engine import reading
from db.models import Event, MonitoringSession, VitalReading
from tests.utils.api import as_user

# NEWS2 0 and no threshold finding for continuous_vitals defaults.
NORMAL = {"respiratory_rate": 16, "spo2": 97, "on_oxygen": False, "systolic_bp": 120,
          "heart_rate": 75, "consciousness": "alert", "temperature_c": 37.0}
NEWS2_2 = {**NORMAL, "respiratory_rate": 21}  # RR 21-24 scores 2
NEWS2_5 = {**NORMAL, "respiratory_rate": 22, "spo2": 94, "heart_rate": 105,
           "temperature_c": 38.2}  # 2 + 1 + 1 + 1, no single 3, inside every limit
NEWS2_6 = {**NEWS2_5, "systolic_bp": 108}  # + systolic 101-110 scores 1
NEWS2_8 = {**NORMAL, "respiratory_rate": 25, "spo2": 93, "heart_rate": 115,
           "temperature_c": 38.2}  # 3 + 2 + 2 + 1: high risk
ALARM_KINDS = ("alarm", "technical_alarm", "alarm_unacknowledged")


def session_body(**overrides: Any) -> dict[str, Any]:
    """A continuous-vitals session at Ward 5B with short clocks and a fresh patient."""
    body: dict[str, Any] = {
        "patient_id": f"patient-{uuid.uuid4().hex[:8]}",
        "monitoring_type": "continuous_vitals",
        "location": {"facility_id": "vigil-general", "department": "Ward 5B", "room": "12",
                     "floor": "5"},
        "devices": [{"id": "mon-1", "type": "ekg_monitor"},
                    {"id": "ox-1", "type": "pulse_oximeter"}],
        "care_team": ["nurse-siti"],
        "viewers": ["dr-lim"],
        "family_viewers": ["family-ahmad"],
        "expected_interval_s": 600,
        "timing": {"hysteresis_s": 30, "ack_silence_s": 60, "care_team_escalation_s": 300},
    }
    body.update(overrides)
    return body


def a_reading(vitals: dict[str, Any], device: str = "mon-1",
              at: datetime | None = None) -> dict[str, Any]:
    taken = at or datetime.now(timezone.utc) - timedelta(seconds=1)
    return {"device_id": device, "taken_at": taken.isoformat(), "vitals": vitals}


def messages(session_id: str) -> list[dict[str, Any]]:
    """Every alarm message of a session (one per send, however many recipients), in order."""
    with reading() as session:
        rows = session.exec(select(Event).where(col(Event.topic).startswith("staff:"),
                                                col(Event.kind).in_(ALARM_KINDS))
                            .order_by(col(Event.id))).all()
    found: dict[str, dict[str, Any]] = {}
    recipients: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        payload = row.payload
        if payload.get("subject_id") != session_id:
            continue
        scope = payload["attempt_id"].split("/")[1]
        found.setdefault(scope, {"kind": row.kind, "priority": payload["severity"],
                                 "text": payload["text"], "detail": payload["detail"]})
        recipients[scope].add(row.topic.removeprefix("staff:"))
    return [{**m, "recipients": recipients[s]} for s, m in found.items()]


def priorities(session_id: str, kind: str = "alarm") -> list[str]:
    return [m["priority"] for m in messages(session_id) if m["kind"] == kind]


def stored(session_id: str) -> list[VitalReading]:
    with reading() as session:
        return list(session.exec(select(VitalReading).where(VitalReading.session_id == session_id)
                                 .order_by(col(VitalReading.seq))).all())


def projection(session_id: str) -> MonitoringSession | None:
    with reading() as session:
        return session.get(MonitoringSession, session_id)


def session_events(session_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    with reading() as session:
        query = select(Event).where(Event.topic == f"session:{session_id}")
        if kind:
            query = query.where(Event.kind == kind)
        return [{"kind": e.kind, **e.payload} for e in session.exec(query.order_by(col(Event.id)))]


@pytest.fixture
async def coordinator(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The demo coordinator, who starts and ends sessions."""
    async with as_user(stack.api_url, "coord-lee", "coordinator") as client:
        yield client


@pytest.fixture
async def open_session(coordinator: httpx.AsyncClient,
                       admin: httpx.AsyncClient) -> AsyncIterator[Any]:
    """open_session(**overrides) -> the started session; each is ended (and any emergency it
    raised cancelled) when the test is over."""
    started: list[str] = []

    async def start(**overrides: Any) -> dict[str, Any]:
        response = await coordinator.post("/sessions", json=session_body(**overrides))
        assert response.status_code == 201, response.text
        started.append(response.json()["id"])
        return response.json()

    yield start
    for session_id in started:
        await coordinator.post(f"/sessions/{session_id}/end", json={"reason": "test over"})
        row = projection(session_id)
        for emergency_id in row.emergencies if row else []:
            await admin.post(f"/emergencies/{emergency_id}/cancel", json={"reason": "test over"})


async def feed(client: httpx.AsyncClient, session_id: str, *readings: dict[str, Any]) -> None:
    """Post readings (one, or a batch) and insist they were accepted."""
    body = readings[0] if len(readings) == 1 else {"readings": list(readings)}
    response = await client.post(f"/sessions/{session_id}/readings", json=body)
    assert response.status_code == 202, response.text
