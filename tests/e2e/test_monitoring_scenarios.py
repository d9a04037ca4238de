"""SPEC §3.2 on the running stack: the right person at the bedside, and nobody paged for noise."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.utils import monitoring
from tests.utils.api import token
from tests.utils.history import idle, timer_fired_after_last_update
from tests.utils.live import sse_events
from tests.utils.people import authorise
from tests.utils.monitoring import (
    NEWS2_2,
    NEWS2_5,
    NEWS2_6,
    NEWS2_8,
    a_reading,
    feed,
    messages,
    priorities,
    projection,
    session_events,
    stored,
)
from tests.utils.records import attempts, emergency
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e
coordinator, open_session = monitoring.coordinator, monitoring.open_session  # fixtures


@pytest.fixture
def settle(temporal_address: str):  # type: ignore[no-untyped-def]
    """settle(session, n): every reading scored and stored, and every page the scoring decided
    delivered: the session is idle, so what was paged is all that will be."""
    async def wait(session_id: str, readings: int) -> None:
        await eventually(lambda: len(stored(session_id)) == readings, what=f"{readings} stored")
        await idle(temporal_address, session_id)
    return wait


async def test_deteriorating_patient_gives_a_viewer_notice_then_a_care_team_page_then_one_emergency(
        open_session, coordinator: httpx.AsyncClient, settle) -> None:
    session = await open_session(viewers=["dr-tan"], care_team=["rrt-wong"])  # English readers
    sid = session["id"]
    for vitals, expected in ((NEWS2_2, ["low"]), (NEWS2_5, ["low", "medium"]),
                             (NEWS2_8, ["low", "medium", "high"])):
        await feed(coordinator, sid, a_reading(vitals))
        await eventually(lambda want=expected: priorities(sid) == want, what=f"alarms {expected}")
    sent = messages(sid)
    assert [m["recipients"] for m in sent] == [{"dr-tan"}, {"rrt-wong"}, {"rrt-wong"}]
    assert [m["text"].split(":")[0] for m in sent] == [
        "VIGIL LOW PRIORITY", "VIGIL MEDIUM PRIORITY", "VIGIL HIGH PRIORITY"]
    assert "NEWS2" not in str([m["text"] for m in sent]), "lock-screen text carries no score"
    row = await eventually(lambda: projection(sid).emergencies and projection(sid),
                           what="the child emergency")
    child = await eventually(lambda: emergency(row.emergencies[0]), what="its projection")
    assert (child.severity, child.patient_id) == ("critical", session["patient_id"])
    assert child.policy["id"] == "critical-default", "the default critical policy, snapshotted"
    await eventually(lambda: attempts(child.id, kind="page"), what="responders paged")

    # Still critical, then better: nobody is paged again, no second emergency.
    await feed(coordinator, sid, a_reading(NEWS2_8), a_reading(NEWS2_5))
    await settle(sid, 5)
    assert priorities(sid) == ["low", "medium", "high"]
    assert projection(sid).emergencies == row.emergencies


async def test_spo2_flapping_around_its_limit_pages_the_care_team_once(
        open_session, coordinator: httpx.AsyncClient, settle) -> None:
    sid = (await open_session())["id"]
    for spo2 in (91, 93, 91, 93, 91, 93):
        await feed(coordinator, sid, a_reading({"spo2": spo2, "heart_rate": 80}, device="ox-1"))
    await settle(sid, 6)
    assert priorities(sid) == ["medium"]
    live = (await coordinator.get(f"/sessions/{sid}")).json()["live"]
    assert {a["key"] for a in live["active_alarms"]} == {"news2", "spo2_low"}, "held by hysteresis"


async def test_acknowledged_alarm_stays_quiet_in_its_window_and_a_different_alarm_still_pages(
        open_session, coordinator: httpx.AsyncClient, client_for, settle) -> None:
    acked, control = (await open_session())["id"], (await open_session())["id"]
    for sid in (acked, control):
        await feed(coordinator, sid, a_reading(NEWS2_5))
        await eventually(lambda sid=sid: priorities(sid) == ["medium"], what="the first page")
    async with client_for("nurse-siti") as siti, client_for("nurse-mei") as mei:
        refused = await mei.post(f"/sessions/{acked}/alarms/news2/acknowledge")
        unknown = await siti.post(f"/sessions/{acked}/alarms/spo2_low/acknowledge")
        answer = await siti.post(f"/sessions/{acked}/alarms/news2/acknowledge")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_on_session"
    assert unknown.status_code == 409 and unknown.json()["error"]["code"] == "alarm_not_active"
    assert answer.status_code == 200, answer.text
    assert answer.json()["time_to_acknowledge_s"] > 0

    for sid in (acked, control):
        await feed(coordinator, sid, a_reading(NEWS2_6))  # a worse score at the same priority
    await settle(acked, 2)
    await settle(control, 2)
    assert priorities(control) == ["medium", "medium"], "unacknowledged, a worse score re-pages"
    assert priorities(acked) == ["medium"], "acknowledged: quiet for its window"

    await feed(coordinator, acked, a_reading({**NEWS2_6, "blood_glucose": 20.0}))
    await eventually(lambda: priorities(acked) == ["medium", "medium"], what="glucose alarm page")
    assert messages(acked)[-1]["detail"]["alarms"] == ["blood_glucose_high"]


async def test_silent_device_raises_a_technical_alarm_to_the_care_team_and_clears_when_it_sends(
        open_session, coordinator: httpx.AsyncClient) -> None:
    sid = (await open_session(devices=[{"id": "ox-1", "type": "pulse_oximeter"}],
                              expected_interval_s=1))["id"]
    await feed(coordinator, sid, a_reading({"spo2": 97}, device="ox-1"))
    raised = await eventually(lambda: [m for m in messages(sid) if m["kind"] == "technical_alarm"],
                              timeout_s=10, what="the technical alarm")
    assert raised[0]["priority"] == "medium" and raised[0]["recipients"] == {"nurse-siti"}
    assert "amaran teknikal" in raised[0]["text"], "in the nurse's language (ms)"
    await feed(coordinator, sid, a_reading({"spo2": 97}, device="ox-1"))
    changes = await eventually(lambda: [(e["kind"], e["key"]) for e in session_events(sid, "alarm")
                                        if e["kind"] == "clear"] and session_events(sid, "alarm"),
                               what="the technical alarm cleared")
    assert [(e["kind"], e["key"]) for e in changes][:2] == [
        ("raise", "device_silent:ox-1"), ("clear", "device_silent:ox-1")]
    assert priorities(sid) == [], "no clinical alarm from a normal reading"


async def test_viewers_see_every_reading_live_and_family_see_only_their_patient_in_less_detail(
        stack, open_session, coordinator: httpx.AsyncClient, client_for, admin) -> None:
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    await authorise(admin, patient, "family-ahmad", ["monitoring"])
    session = await open_session(patient_id=patient)
    sid = session["id"]
    family = httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", timeout=30, headers={
        "Authorization": "Bearer " + token("family-ahmad", "family")})
    async with client_for("dr-lim") as viewer, client_for("dr-kumar") as stranger, family:
        watching = asyncio.create_task(sse_events(viewer, f"/sessions/{sid}/events", count=3,
                                                  skip=frozenset({"delivery"})))
        family_watch = asyncio.create_task(
            sse_events(family, f"/patients/{patient}/updates", count=2))
        await feed(coordinator, sid, a_reading(NEWS2_5))
        seen, told = await watching, await family_watch
        assert (await stranger.get(f"/sessions/{sid}/events")).status_code == 403
        assert (await family.get(f"/sessions/{sid}/events")).status_code == 403
        assert (await family.get("/patients/patient-someone-else/updates")).status_code == 403
    kinds = [e["event"] for e in seen]
    assert kinds[0] == "started" and {"readings", "alarm"} <= set(kinds)
    points = next(e for e in seen if e["event"] == "readings")["data"]["payload"]["points"]
    assert points[0]["news2"] == 5 and points[0]["vitals"]["spo2"] == 94
    assert {e["data"]["payload"]["subject_id"] for e in told} == {sid}
    assert all(set(e["data"]["payload"]) <= {"subject_id", "status", "text", "readings"}
               for e in told), "family: a status in words, no values, scores or reasons"
    assert told[-1]["data"]["payload"]["status"] == "checking"


async def test_family_the_session_does_not_name_get_the_patients_emergencies_but_not_the_session(
        stack, open_session, coordinator: httpx.AsyncClient, raise_emergency, admin) -> None:
    patient = f"patient-{uuid.uuid4().hex[:8]}"
    # Both hold consent for both scopes: only the session's naming sets them apart.
    for member in ("family-ahmad", "family-unlisted"):
        await authorise(admin, patient, member, ["emergencies", "monitoring"])
    session = await open_session(patient_id=patient)
    sid = session["id"]
    await feed(coordinator, sid, a_reading(NEWS2_5))
    listed, unlisted = (httpx.AsyncClient(
        base_url=f"{stack.api_url}/api/v1", timeout=30,
        headers={"Authorization": "Bearer " + token(member, "family")})
        for member in ("family-ahmad", "family-unlisted"))
    async with listed, unlisted:
        told = await sse_events(listed, f"/patients/{patient}/updates", count=2)
        assert {e["data"]["payload"]["subject_id"] for e in told} == {sid}
        emergency_id = await raise_emergency(patient_id=patient)
        # From the start of the kept stream: the emergency is the first thing they are told.
        first = await sse_events(unlisted, f"/patients/{patient}/updates", count=1)
    assert first[0]["data"]["payload"]["subject_id"] == emergency_id
    assert int(first[0]["id"]) > max(int(e["id"]) for e in told)


async def test_unacknowledged_care_team_page_escalates_by_sms_to_the_care_team_and_charge_nurse(
        open_session, coordinator: httpx.AsyncClient, client_for, temporal_address: str) -> None:
    timing = {"care_team_escalation_s": 3, "flush_interval_s": 0.2}
    ignored, answered = (await open_session(timing=timing))["id"], \
        (await open_session(timing=timing))["id"]
    for sid in (ignored, answered):
        await feed(coordinator, sid, a_reading(NEWS2_5))
        await eventually(lambda sid=sid: priorities(sid) == ["medium"], what="the care team paged")
    async with client_for("nurse-siti") as siti:
        acked = await siti.post(f"/sessions/{answered}/alarms/news2/acknowledge")
    assert acked.status_code == 200
    sms = await eventually(lambda: len(attempts(ignored, kind="alarm_unacknowledged")) >= 2
                           and attempts(ignored, kind="alarm_unacknowledged"), timeout_s=10,
                           what="the SMS escalation to both")
    assert {(a.recipient_id, a.channel) for a in sms} == {("nurse-siti", "sms"),
                                                          ("nurse-mei", "sms")}
    # Its escalation timer has fired since the acknowledgement and the session has acted on it.
    await timer_fired_after_last_update(temporal_address, answered)
    assert not attempts(answered, kind="alarm_unacknowledged"), "acknowledged: no escalation"
