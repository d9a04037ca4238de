"""The workflow paths the replay corpus covers, each driven through the real API.

The recorder (record_corpus.py) and the tests run the same scenarios, so what
the tests export and replay is what the corpus holds. Each scenario returns the
workflow id once the workflow has closed.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import httpx
from sqlmodel import select
from temporalio.client import Client

from audit.history import audit_entries
from db.engine import reading
from tests.utils.api import as_user, emergency_body, fast_policy
from tests.utils.live import next_frame, staff_socket
from tests.utils.monitoring import NEWS2_5, NORMAL, a_reading, session_body
from tests.utils.waiting import eventually
from tests.utils.webhook_receiver import webhook_receiver
from workflows.emergency import EmergencyEscalationWorkflow as Wf
from workflows.emergency_types import EmergencyState

Scenario = Callable[[str, Client], Awaitable[str]]


async def _raise(api: str, client: Client, patient_id: str, **policy: float) -> tuple[str, str]:
    """Raise a critical emergency on a fast policy; returns its id once tier 1 is paged."""
    async with as_user(api, "admin-raj", "admin") as admin, \
            as_user(api, "nurse-siti", "provider") as nurse:
        policy_id = await fast_policy(admin, **policy)
        response = await nurse.post("/emergencies", json=emergency_body(
            policy_id=policy_id, patient_id=patient_id))
        assert response.status_code == 201, response.text
    emergency_id = response.json()["id"]
    await _state(client, emergency_id, lambda s: "dr-tan" in s.paged, "tier 1 paged")
    return emergency_id, policy_id


async def _state(client: Client, emergency_id: str, ok: Callable[[EmergencyState], bool],
                 what: str) -> EmergencyState:
    handle = client.get_workflow_handle(emergency_id)

    async def probe() -> EmergencyState | None:
        state = await handle.query(Wf.state)
        return state if ok(state) else None

    return await eventually(probe, timeout_s=30, what=what)


async def _recorded(emergency_id: str, change: str) -> None:
    """Wait until the workflow has recorded `change`, so the next command meets a settled state
    and the recorded path is the one the scenario names."""
    await eventually(lambda: any(e["action"] == f"emergency.{change}"
                                 for e in audit_entries(emergency_id)),
                     timeout_s=30, what=f"emergency.{change} recorded")


async def _post(api: str, who: str, role: str, path: str, body: dict | None = None) -> httpx.Response:
    async with as_user(api, who, role) as user:
        response = await user.post(path, json=body)
    assert response.status_code == 200, f"{who} {path}: {response.text}"
    return response


async def _closed(client: Client, emergency_id: str) -> str:
    await client.get_workflow_handle(emergency_id).result()
    return emergency_id


async def emergency_acknowledged(api: str, client: Client, patient_id: str = "patient-001") -> str:
    """Dr Tan's app confirms receipt; the voice step goes out; she acknowledges, then resolves."""
    ws_url = api.replace("http", "ws", 1) + "/api/v1/ws"
    async with staff_socket(ws_url, "dr-tan") as ws:
        eid, _ = await _raise(api, client, patient_id, voice_after_s=0.5, tier_timeout_s=60)
        page = await next_frame(ws, kind="page", subject_id=eid, timeout_s=30)
        await ws.send(json.dumps({"type": "receipt", "attempt_id": page["payload"]["attempt_id"],
                                  "ref": "receipt"}))
        assert (await next_frame(ws, type="result", ref="receipt"))["ok"]
        await _state(client, eid, lambda s: s.steps_sent == 2, "voice step sent")
        await ws.send(json.dumps({"type": "ack", "emergency_id": eid, "ref": "ack"}))
        assert (await next_frame(ws, type="result", ref="ack", timeout_s=30))["ok"]
    await _recorded(eid, "acknowledged")
    await _post(api, "dr-tan", "provider", f"/emergencies/{eid}/resolve", {"outcome": "ROSC"})
    return await _closed(client, eid)


async def emergency_exhausted(api: str, client: Client, patient_id: str = "patient-001") -> str:
    """Nobody answers any tier; every admin is paged; an admin closes it."""
    eid, _ = await _raise(api, client, patient_id, voice_after_s=0.2, tier_timeout_s=0.5)
    await _recorded(eid, "extra_page")
    await _post(api, "admin-raj", "admin", f"/emergencies/{eid}/resolve",
                {"outcome": "found at bedside; nobody answered the pages"})
    return await _closed(client, eid)


async def emergency_cancelled(api: str, client: Client, patient_id: str = "patient-001") -> str:
    """The nurse who raised it cancels a false alarm."""
    eid, _ = await _raise(api, client, patient_id, voice_after_s=30, tier_timeout_s=60)
    await _post(api, "nurse-siti", "provider", f"/emergencies/{eid}/cancel",
                {"reason": "false alarm: lead came off"})
    return await _closed(client, eid)


async def emergency_handed_over(api: str, client: Client, patient_id: str = "patient-001") -> str:
    """Dr Tan acknowledges, hands over to Dr Aziz, who resolves it."""
    eid, _ = await _raise(api, client, patient_id, voice_after_s=30, tier_timeout_s=60)
    await _post(api, "dr-tan", "provider", f"/emergencies/{eid}/acknowledge", {"via": "web"})
    await _recorded(eid, "acknowledged")
    await _post(api, "dr-tan", "provider", f"/emergencies/{eid}/hand-over",
                {"to_staff_id": "dr-aziz", "note": "end of shift"})
    await _recorded(eid, "handed_over")
    await _post(api, "dr-aziz", "provider", f"/emergencies/{eid}/resolve", {"outcome": "stable"})
    return await _closed(client, eid)


async def emergency_escalated_by_hand(api: str, client: Client,
                                      patient_id: str = "patient-001") -> str:
    """Dr Tan escalates at once; the charge nurse acknowledges and resolves."""
    eid, _ = await _raise(api, client, patient_id, voice_after_s=30, tier_timeout_s=60)
    await _post(api, "dr-tan", "provider", f"/emergencies/{eid}/escalate", {"reason": "need more"})
    await _state(client, eid, lambda s: "nurse-mei" in s.paged, "tier 2 paged")
    await _post(api, "nurse-mei", "provider", f"/emergencies/{eid}/acknowledge", {"via": "push"})
    await _recorded(eid, "acknowledged")
    await _post(api, "nurse-mei", "provider", f"/emergencies/{eid}/resolve", {"outcome": "stable"})
    return await _closed(client, eid)


async def monitoring_session_acknowledged_and_ended(
        api: str, client: Client, patient_id: str | None = None) -> str:
    """A reading scores NEWS2 5 and pages the care team; the nurse acknowledges the alarm, the
    coordinator tightens a limit and ends the session."""
    body = session_body(**({"patient_id": patient_id} if patient_id else {}))
    async with as_user(api, "coord-lee", "coordinator") as coordinator:
        response = await coordinator.post("/sessions", json=body)
        assert response.status_code == 201, response.text
        sid = response.json()["id"]
        fed = await coordinator.post(f"/sessions/{sid}/readings",
                                     json={"readings": [a_reading(NORMAL), a_reading(NEWS2_5)]})
        assert fed.status_code == 202, fed.text
        await eventually(lambda: any(e["action"] == "delivery.sent" for e in audit_entries(sid)),
                         timeout_s=30, what="the care team paged")
        await _post(api, "nurse-siti", "provider", f"/sessions/{sid}/alarms/news2/acknowledge")
        changed = await coordinator.put(f"/sessions/{sid}/thresholds",
                                        json={"overrides": {"spo2_low": 90}})
        assert changed.status_code == 200, changed.text
        assert (await coordinator.post(f"/sessions/{sid}/end")).status_code == 200
    return await _closed(client, sid)


async def webhook_endpoint_delivered(api: str, client: Client,
                                     patient_id: str = "patient-001") -> str:
    """An endpoint's receiver refuses once (503), then takes an emergency's creation; the admin
    disables the endpoint and its delivery workflow ends. Needs VIGIL_DEV_MODE (loopback)."""
    with webhook_receiver() as receiver:
        receiver.status = 503
        async with as_user(api, "admin-raj", "admin") as admin:
            created = await admin.post("/webhook-endpoints", json={
                "url": receiver.url, "event_types": ["emergency.created"], "patient_id": patient_id,
                "retry": {"initial_s": 0.5, "max_s": 1, "window_s": 600}})
            assert created.status_code == 201, created.text
            endpoint_id = created.json()["id"]
            eid, _ = await _raise(api, client, patient_id, voice_after_s=30, tier_timeout_s=60)
            await eventually(lambda: any(eid in r.body for r in receiver.received),
                             timeout_s=30, what="a refused try")
            receiver.status = 200
            await eventually(lambda: any(eid in r.body for r in receiver.accepted()),
                             timeout_s=30, what="the event delivered")
            await _post(api, "admin-raj", "admin", f"/emergencies/{eid}/cancel",
                        {"reason": "webhook scenario over"})
            off = await admin.patch(f"/webhook-endpoints/{endpoint_id}", json={"enabled": False})
            assert off.status_code == 200, off.text
    return await _closed(client, f"webhook-endpoint-{endpoint_id}")
async def appointment_room_change_to_completed(api: str, client: Client,
                                              patient_id: str = "patient-002") -> str:
    """Booked three days ahead (reminders planned), moved to another room, checked in, seen
    and completed: every fan-out, the on-duty lookup and the reminder plan are in its history."""
    from datetime import datetime, timedelta, timezone

    start = datetime.now(timezone.utc) + timedelta(days=3)
    async with as_user(api, "coord-lee", "coordinator") as coordinator:
        response = await coordinator.post("/appointments", json={
            "patient_id": patient_id, "provider_id": "dr-lim", "facility_id": "vigil-general",
            "department": "Clinic B", "room": "3", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=20)).isoformat()})
        assert response.status_code == 201, response.text
        aid = response.json()["id"]
        await eventually(lambda: any(e["action"] == "appointment.reminders_planned"
                                     for e in audit_entries(aid)), timeout_s=30,
                         what="reminders planned")
        for update in ({"type": "room_change", "room": "7"}, {"type": "checked_in"},
                       {"type": "in_progress"}, {"type": "completed"}):
            answer = await coordinator.post(f"/appointments/{aid}/updates", json=update)
            assert answer.status_code == 200, answer.text
    return await _closed(client, aid)
async def appointment_emergency_answered_and_cancelled(api: str, client: Client,
                                                       patient_id: str = "patient-003") -> str:
    """An emergency appointment (its pages on the emergency queue, the patient offline so
    emailed too): the patient asks to reschedule in the app (the coordinators are told), the
    provider runs late, and it is cancelled."""
    from datetime import datetime, timedelta, timezone

    start = datetime.now(timezone.utc) + timedelta(days=3)
    async with as_user(api, "coord-lee", "coordinator") as coordinator, \
            as_user(api, patient_id, "patient") as patient:
        response = await coordinator.post("/appointments", json={
            "patient_id": patient_id, "provider_id": "dr-lim", "facility_id": "vigil-general",
            "room": "5", "starts_at": start.isoformat(), "care_team": ["dr-tan"],
            "emergency": True, "ends_at": (start + timedelta(minutes=20)).isoformat()})
        assert response.status_code == 201, response.text
        aid = response.json()["id"]

        async def recorded(change: str) -> None:
            await eventually(lambda: any(e["action"] == f"appointment.{change}"
                                         for e in audit_entries(aid)), timeout_s=30,
                             what=f"appointment.{change} recorded")

        await recorded("reminders_planned")
        asked = await patient.post(f"/appointments/{aid}/reply", json={"answer": "reschedule"})
        assert asked.status_code == 200, asked.text
        await recorded("reschedule_requested")
        for update in ({"type": "provider_delay", "delay_minutes": 10}, {"type": "cancelled"}):
            answer = await coordinator.post(f"/appointments/{aid}/updates", json=update)
            assert answer.status_code == 200, answer.text
    return await _closed(client, aid)


async def medication_schedule_steered_and_stopped(
        api: str, client: Client, patient_id: str | None = None) -> str:
    """A coordinator starts a twice-daily plan with prayer-time awareness in Kuala Lumpur,
    pauses it, resumes it, changes it to once a day and stops it."""
    from datetime import date, timedelta

    start = (date.today() + timedelta(days=2)).isoformat()
    body = {"patient_id": patient_id or "patient-001",
            "medications": [{"id": "m1", "name": "Metformin", "dose": "500 mg"}],
            "schedule": {"start_date": start, "times": ["08:00", "19:30"]},
            "preferences": {"zone": "Asia/Kuala_Lumpur", "latitude": 3.139,
                            "longitude": 101.6869, "prayer": {}},
            "escalation_contacts": ["cg-1"]}
    async with as_user(api, "coord-lee", "coordinator") as coordinator:
        response = await coordinator.post("/medication-schedules", json=body)
        assert response.status_code == 201, response.text
        sid = response.json()["id"]
        handle = client.get_workflow_handle(sid)

        async def planned() -> bool:
            return (await handle.query("state")).get("next_dose_at") is not None

        await eventually(planned, timeout_s=30, what="the first day planned")
        for path, payload in (("pause", {"reason": "admitted to hospital"}),
                              ("resume", {"reason": "home again"})):
            done = await coordinator.post(f"/medication-schedules/{sid}/{path}", json=payload)
            assert done.status_code == 200, done.text
        changed = await coordinator.put(f"/medication-schedules/{sid}", json={
            "schedule": {"start_date": start, "times": ["09:00"]}, "reason": "once a day"})
        assert changed.status_code == 200, changed.text
        stopped = await coordinator.post(f"/medication-schedules/{sid}/stop",
                                         json={"reason": "course finished"})
        assert stopped.status_code == 200, stopped.text
    return await _closed(client, sid)


async def oncall_watch_notice_gap_and_schedule_gone(api: str, client: Client,
                                                    patient_id: str | None = None) -> str:
    """A rota whose first turn starts in 30 minutes with an hour's notice: the watcher reports
    the gap until then to the admins and tells Dr Tan at once; an override wakes it (the same
    gap, not reported again); then the schedule is removed (no route does that yet, so the rows
    go directly) and the watcher, woken, finds it gone and ends."""
    import uuid
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    from sqlmodel import delete

    from db.engine import writing
    from db.models import DeliveryAttempt, OnCallLayer, OnCallOverride, OnCallSchedule
    from workflows.oncall_watch_types import WAKE_SIGNAL, workflow_id_for

    schedule_id = f"rota-{uuid.uuid4().hex[:8]}"
    watcher = workflow_id_for(schedule_id)
    starts = datetime.now(ZoneInfo("Asia/Kuala_Lumpur")) + timedelta(minutes=30)
    async with as_user(api, "admin-raj", "admin") as admin:
        made = await admin.post("/schedules", json={
            "id": schedule_id, "name": "Corpus rota", "facility_id": "vigil-general",
            "time_zone": "Asia/Kuala_Lumpur", "handoff_notice_minutes": 60, "layers": [{
                "name": "days", "members": ["dr-tan", "dr-lim"], "turn": "daily",
                "rotation_start": starts.replace(tzinfo=None, microsecond=0).isoformat()}]})
        assert made.status_code == 201, made.text

        def sent(kind: str) -> bool:
            with reading() as session:
                return session.exec(select(DeliveryAttempt).where(
                    DeliveryAttempt.subject_id == watcher, DeliveryAttempt.kind == kind,
                    DeliveryAttempt.outcome != "sending")).first() is not None

        await eventually(lambda: sent("rota_gap") and sent("shift_handoff"), timeout_s=30,
                         what="the gap alarm and the hand-off notice")
        later = datetime.now(timezone.utc) + timedelta(days=3)
        cover = await admin.post(f"/schedules/{schedule_id}/overrides", json={
            "person": "dr-lim", "starts_at": later.isoformat(),
            "ends_at": (later + timedelta(hours=1)).isoformat(), "reason": "corpus"})
        assert cover.status_code == 201, cover.text
    handle = client.get_workflow_handle(watcher)
    await eventually(lambda: _looks(handle, 2), timeout_s=30, what="the watcher woken")
    with writing() as session:
        for table in (OnCallOverride, OnCallLayer):
            session.exec(delete(table).where(table.schedule_id == schedule_id))  # type: ignore[call-overload]
        session.exec(delete(OnCallSchedule).where(OnCallSchedule.id == schedule_id))  # type: ignore[call-overload]
    await handle.signal(WAKE_SIGNAL)
    await handle.result()
    return watcher


async def _looks(handle, at_least: int) -> bool:  # type: ignore[no-untyped-def]
    return (await handle.query("state"))["looks"] >= at_least


async def medication_dose_missed_then_confirmed(api: str, client: Client) -> str:
    """A patient's first dose goes unconfirmed and is told to the caregiver whose consent
    covers medication; the next is confirmed by the patient; the coordinator stops the plan."""
    from tests.utils.medication_stack import (consent, dose_id, minutes_ahead, new_caregiver,
                                              new_patient, plan_body, start_plan)

    async with as_user(api, "coord-lee", "coordinator") as coordinator:
        patient = await new_patient(coordinator)
        carer = await new_caregiver(coordinator)
        await consent(coordinator, patient["id"], carer["id"], ["medication"])
        first, second = minutes_ahead(2)
        sid = await start_plan(coordinator, plan_body(patient["id"], [first, second]))
        handle = client.get_workflow_handle(sid)

        async def second_open() -> dict:
            state = await handle.query("state")
            return state if (state.get("open_dose") or {}).get("dose_id") == dose_id(second) else {}

        state = await eventually(second_open, timeout_s=150, what="the second dose open")
        (missed,) = state["recent"]
        assert (missed["outcome"], missed["escalated_to"]) == ("missed", [carer["id"]])
        async with as_user(api, patient["id"], "patient") as own:
            taken = await own.post(f"/medication-schedules/{sid}/doses/confirm",
                                   json={"dose_id": dose_id(second), "outcome": "taken"})
            assert taken.status_code == 200, taken.text
        stopped = await coordinator.post(f"/medication-schedules/{sid}/stop",
                                         json={"reason": "course finished"})
        assert stopped.status_code == 200, stopped.text
    return await _closed(client, sid)


SCENARIOS: dict[str, Scenario] = {
    "emergency_acknowledged": emergency_acknowledged,
    "emergency_exhausted": emergency_exhausted,
    "emergency_cancelled": emergency_cancelled,
    "emergency_handed_over": emergency_handed_over,
    "emergency_escalated_by_hand": emergency_escalated_by_hand,
    "monitoring_session_acknowledged_and_ended": monitoring_session_acknowledged_and_ended,
    "webhook_endpoint_delivered": webhook_endpoint_delivered,  # recorded before batches
    # The same, recorded since first tries go in batches (workflow.patched): the refused first
    # try ends a batch, is retried on its own and delivered.
    "webhook_endpoint_batched": webhook_endpoint_delivered,
    "appointment_room_change_to_completed": appointment_room_change_to_completed,
    "appointment_emergency_answered_and_cancelled": appointment_emergency_answered_and_cancelled,
    "medication_schedule_steered_and_stopped": medication_schedule_steered_and_stopped,
    "oncall_watch_notice_gap_and_schedule_gone": oncall_watch_notice_gap_and_schedule_gone,
    "medication_dose_missed_then_confirmed": medication_dose_missed_then_confirmed,
    # Recorded again once pages went out as one `deliver_batch` per timeout (workflow.patched
    # "deliver-in-batches"); the histories above keep the one-`deliver`-per-message path.
    "emergency_exhausted_in_batches": emergency_exhausted,
    "monitoring_session_in_batches": monitoring_session_acknowledged_and_ended,
    # Recorded again once a tier's page carried its `tier_paged` record (workflow.patched
    # "record-changes-with-pages"); the histories above keep a record activity per change.
    "emergency_exhausted_changes_with_pages": emergency_exhausted,
    # Recorded again once the writer of an event wakes the idle endpoint (workflow.patched
    # "webhook-wake-kept": the wake flag cleared before each read). Beside it,
    # webhook_endpoint_woken_while_reading.before-webhook-wake-kept.json (not a scenario: made
    # with the old code and stand-in activities) keeps the old path, where a wake that landed
    # during an empty read was dropped and the workflow waited on its poll timer.
    "webhook_endpoint_woken": webhook_endpoint_delivered,
    # Recorded again once the API looked tier 1 up as it started the emergency
    # (EmergencyInput.first_tier_targets): the first task pages with no local lookup; the
    # histories above keep the lookup in the first task.
    "emergency_exhausted_tier_1_from_the_api": emergency_exhausted,
    # Recorded again once each tier's WebSocket page was written inside the task that decides
    # it (workflow.patched "tier-pages-in-task": a local activity's marker where the histories
    # above have a `deliver_batch` activity).
    "emergency_exhausted_pages_in_task": emergency_exhausted,
    # Recorded again once an escalation was recorded with the next tier's page
    # (workflow.patched "escalated-with-next-page": no record activity between a tier's timeout
    # and the next tier's page).
    "emergency_exhausted_escalated_with_pages": emergency_exhausted,
}
