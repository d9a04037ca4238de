"""On-call schedules over the running API: rotas, overrides, the feed, bad input, and a rota paging.

Each test makes its own facility and people, so the rotas here never change who
the other tests' tiers page.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar
from sqlmodel import col, select

from db.engine import reading
from db.models import AuditEntry
from tests.utils.api import emergency_body, fast_policy
from tests.utils.records import attempts
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e
ZONE = "Asia/Kuala_Lumpur"


async def make_people(admin: httpx.AsyncClient, *names: str, flagged: str = "") -> dict[str, str]:
    """A fresh facility and providers in it: {name: staff id}."""
    tag = uuid.uuid4().hex[:8]
    facility = f"rota-{tag}"
    response = await admin.post("/facilities", json={"id": facility, "name": f"Rota {tag}",
                                                      "latitude": 3.1, "longitude": 101.6})
    assert response.status_code == 201, response.text
    people = {"facility": facility}
    for name in names:
        people[name] = f"{name}-{tag}"
        response = await admin.post("/staff", json={
            "id": people[name], "name": name.title(), "role": "provider",
            "provider_type": "emergency", "facility_id": facility, "emergency_capable": True,
            "on_call": name == flagged})
        assert response.status_code == 201, response.text
    return people


def local_now(minus: timedelta = timedelta(0)) -> str:
    """Now on the schedule's wall clock, as the naive time a layer's first hand-off takes."""
    return (datetime.now(ZoneInfo(ZONE)) - minus).replace(tzinfo=None).isoformat(timespec="seconds")


async def make_schedule(admin: httpx.AsyncClient, people: dict[str, str], members: list[str],
                        turn: str = "daily") -> str:
    schedule_id = f"sched-{uuid.uuid4().hex[:8]}"
    response = await admin.post("/schedules", json={
        "id": schedule_id, "name": "Rapid response", "facility_id": people["facility"],
        "specialisation": "resuscitation", "time_zone": ZONE, "reason": "new rota",
        "layers": [{"name": "days", "members": [people[m] for m in members], "turn": turn,
                    "rotation_start": local_now(minus=timedelta(hours=1))}]})
    assert response.status_code == 201, response.text
    return schedule_id


def iso(at: datetime) -> str:
    return at.isoformat()


async def test_who_is_on_call_shifts_and_the_calendar_feed_give_the_resolvers_answer(
        admin: httpx.AsyncClient, client_for) -> None:
    people = await make_people(admin, "ana", "ben", "cai")
    schedule_id = await make_schedule(admin, people, ["ana", "ben", "cai"])
    now = (await admin.get(f"/schedules/{schedule_id}/on-call")).json()
    assert (now["person"], now["person_name"]) == (people["ana"], "Ana")
    assert now["source"].startswith("layer:")
    tomorrow = datetime.fromisoformat(now["until"])
    assert timedelta(hours=22) < tomorrow - datetime.now(UTC) < timedelta(hours=24)

    async with client_for(people["ben"]) as ben:
        assert (await ben.post(f"/schedules/{schedule_id}/overrides", json={
            "person": people["ben"], "starts_at": iso(tomorrow),
            "ends_at": iso(tomorrow + timedelta(hours=1))})).status_code == 403
        moment = datetime.now(UTC).replace(microsecond=0)  # iCalendar times are whole seconds
        start, end = iso(moment), iso(moment + timedelta(days=3))
        shifts = (await ben.get(f"/schedules/{schedule_id}/shifts",
                                params={"start": start, "end": end})).json()
        feed = await ben.get(f"/schedules/{schedule_id}/calendar.ics",
                             params={"start": start, "end": end})
    assert [s["person"] for s in shifts] == [people[p] for p in ("ana", "ben", "cai", "ana")]
    assert feed.headers["content-type"].startswith("text/calendar")
    events = [(e.get("attendee").removeprefix("urn:vigil:staff:"), e.decoded("dtstart"),
               e.decoded("dtend")) for e in Calendar.from_ical(feed.content).walk("VEVENT")]
    assert events == [(s["person"], datetime.fromisoformat(s["starts_at"]),
                       datetime.fromisoformat(s["ends_at"])) for s in shifts]

    at_facility = (await admin.get("/on-call", params={"facility_id": people["facility"]})).json()
    assert [a["person"] for a in at_facility] == [people["ana"]]
    mine = (await admin.get(f"/on-call/people/{people['ben']}/shifts")).json()
    assert mine[0]["starts_at"] == now["until"] and mine[0]["schedule_id"] == schedule_id


async def test_every_change_to_a_rota_is_audited_with_who_and_why(admin: httpx.AsyncClient) -> None:
    people = await make_people(admin, "ana", "ben")
    schedule_id = await make_schedule(admin, people, ["ana"])
    starts = datetime.now(UTC) + timedelta(days=1)
    made = await admin.post(f"/schedules/{schedule_id}/overrides", json={
        "person": people["ben"], "starts_at": iso(starts), "ends_at": iso(starts + timedelta(hours=8)),
        "reason": "Ana is off sick"})
    assert made.status_code == 201, made.text
    override_id = made.json()["overrides"][0]["id"]
    removed = await admin.delete(f"/schedules/{schedule_id}/overrides/{override_id}",
                                 params={"reason": "Ana is back"})
    assert removed.status_code == 200 and removed.json()["version"] == 3
    with reading() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.subject == f"schedule:{schedule_id}")
                               .order_by(col(AuditEntry.seq))).all()
    assert [(e.actor, e.action, e.detail["reason"]) for e in entries] == [
        ("admin-raj", "oncall.schedule_created", "new rota"),
        ("admin-raj", "oncall.override_added", "Ana is off sick"),
        ("admin-raj", "oncall.override_removed", "Ana is back")]
    assert entries[2].detail["before"]["person"] == people["ben"]


BAD_LAYERS = {
    "a layer with nobody": ({"members": []}, "body.members"),
    "a turn of 0 hours": ({"turn": "custom", "turn_hours": 0}, "body.turn_hours"),
    "an unknown member": ({"members": ["nobody-at-all"]}, "body.members.0"),
}


@pytest.mark.parametrize("case", BAD_LAYERS, ids=list(BAD_LAYERS))
async def test_a_bad_layer_is_refused_naming_the_field_and_changes_nothing(
        admin: httpx.AsyncClient, case: str) -> None:
    people = await make_people(admin, "ana")
    schedule_id = await make_schedule(admin, people, ["ana"])
    change, field = BAD_LAYERS[case]
    body = {"name": "nights", "members": [people["ana"]], "priority": 1,
            "rotation_start": local_now(), **change}
    response = await admin.post(f"/schedules/{schedule_id}/layers", json=body)
    assert response.status_code == 422, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert len((await admin.get(f"/schedules/{schedule_id}")).json()["layers"]) == 1


async def test_an_unknown_zone_and_an_overlapping_override_are_refused_naming_the_field(
        admin: httpx.AsyncClient) -> None:
    people = await make_people(admin, "ana", "ben")
    response = await admin.post("/schedules", json={
        "id": f"sched-{uuid.uuid4().hex[:8]}", "name": "x", "facility_id": people["facility"],
        "time_zone": "Europe/Atlantis"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "body.time_zone"

    schedule_id = await make_schedule(admin, people, ["ana"])
    starts = datetime.now(UTC) + timedelta(hours=2)
    slot = {"person": people["ben"], "starts_at": iso(starts),
            "ends_at": iso(starts + timedelta(hours=4))}
    assert (await admin.post(f"/schedules/{schedule_id}/overrides", json=slot)).status_code == 201
    overlapping = {**slot, "person": people["ana"],
                   "starts_at": iso(starts + timedelta(hours=3)),
                   "ends_at": iso(starts + timedelta(hours=6))}
    response = await admin.post(f"/schedules/{schedule_id}/overrides", json=overlapping)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"][0]["field"]) == ("overlapping_override",
                                                             "body.starts_at")
    assert len((await admin.get(f"/schedules/{schedule_id}")).json()["overrides"]) == 1

    policy = {"id": f"p-{uuid.uuid4().hex[:8]}", "name": "x", "channels": [{"channel": "websocket"}],
              "tiers": [{"name": "rota", "targets": "schedule:no-such-rota", "ack_timeout_s": 5}]}
    response = await admin.post("/policies", json=policy)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "body.tiers.0.targets"


def tiers_paged(emergency_id: str) -> list[list[str]]:
    with reading() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.subject == emergency_id,
                                                        AuditEntry.action == "emergency.tier_paged")
                               .order_by(col(AuditEntry.seq))).all()
    return [e.detail["targets"] for e in entries]


async def test_a_tier_naming_a_schedule_pages_whom_the_rota_names_now_and_obeys_a_new_override(
        admin: httpx.AsyncClient) -> None:
    # ana's turn began an hour ago; ben is on the rota too and his stale on_call flag is set.
    people = await make_people(admin, "ana", "ben", "cai", flagged="ben")
    schedule_id = await make_schedule(admin, people, ["ana", "ben"])
    policy = await fast_policy(admin, channels=[{"channel": "websocket"}], tiers=[
        {"name": "rota", "targets": f"schedule:{schedule_id}", "ack_timeout_s": 60},
        {"name": "rota again", "targets": f"schedule:{schedule_id}", "ack_timeout_s": 60},
        {"name": "on call", "targets": "on_call", "ack_timeout_s": 60}])
    response = await admin.post("/emergencies", json=emergency_body(
        policy_id=policy, location={"facility_id": people["facility"], "department": "ED"}))
    assert response.status_code == 201, response.text
    emergency_id = response.json()["id"]
    try:
        await eventually(lambda: tiers_paged(emergency_id), what="tier 1 paged")
        assert tiers_paged(emergency_id) == [[people["ana"]]]
        now = datetime.now(UTC)
        cover = await admin.post(f"/schedules/{schedule_id}/overrides", json={
            "person": people["cai"], "starts_at": iso(now - timedelta(minutes=1)),
            "ends_at": iso(now + timedelta(hours=1)), "reason": "ana called to theatre"})
        assert cover.status_code == 201, cover.text
        for _ in range(2):
            # Counted before escalating: the escalation's record now commits with the next
            # tier's page, so by the time the command answers that page may be counted already.
            before = len(tiers_paged(emergency_id))
            escalated = await admin.post(f"/emergencies/{emergency_id}/escalate",
                                         json={"reason": "next"})
            assert escalated.status_code == 200, escalated.text
            await eventually(lambda n=before: len(tiers_paged(emergency_id)) > n,
                             what="the next tier paged")
        # The override holds tier 2; by the rota only cai is on call now, and ben's flag is ignored.
        assert tiers_paged(emergency_id) == [[people["ana"]], [people["cai"]], [people["cai"]]]
        assert {a.recipient_id for a in attempts(emergency_id)} == {people["ana"], people["cai"]}
    finally:
        await admin.post(f"/emergencies/{emergency_id}/cancel", json={"reason": "test over"})
