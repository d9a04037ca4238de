"""On-call rotas in use, over the running stack: signed calendar feeds, .ics import, swaps,
the watcher's gap alarm and hand-off notice, and an emergency owned by rota in the inbox.

Each test makes its own facility and people (tests/e2e/test_oncall_api.py), so no rota
here changes who another test pages.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar
from sqlmodel import col, select
from temporalio.client import Client

from db.engine import reading
from db.models import AuditEntry, DeliveryAttempt
from services.calendar_links import feed_token
from settings import get_settings
from tests.e2e.test_oncall_api import ZONE, iso, local_now, make_people, make_schedule
from tests.utils.api import emergency_body, fast_policy
from tests.utils.live import next_frame, staff_socket
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e


def events_of(body: bytes) -> list[tuple[str, datetime, datetime]]:
    return [(str(e.get("attendee")).removeprefix("urn:vigil:staff:"), e.decoded("dtstart"),
             e.decoded("dtend")) for e in Calendar.from_ical(body).walk("VEVENT")]


async def test_a_signed_feed_url_needs_no_token_lists_the_resolvers_shifts_and_refuses_forgery(
        admin: httpx.AsyncClient, client_for, stack) -> None:
    people = await make_people(admin, "ana", "ben")
    schedule_id = await make_schedule(admin, people, ["ana", "ben"])
    async with client_for(people["ben"]) as ben:
        link = (await ben.get(f"/schedules/{schedule_id}/calendar-link")).json()
        mine = (await ben.get(f"/on-call/people/{people['ben']}/calendar-link")).json()
        assert (await ben.get(f"/on-call/people/{people['ana']}/calendar-link")).status_code == 403
    assert datetime.fromisoformat(link["expires_at"]) > datetime.now(UTC) + timedelta(days=80)
    assert link["url"].startswith(get_settings().public_base_url)
    # A calendar app: no bearer token (the stack listens on its own port, not the public URL's).
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as app:
        feed = await app.get(httpx.URL(link["url"]).path)
        own = await app.get(httpx.URL(mine["url"]).path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = events_of(feed.content)
    # The rota began an hour ago (a gap before it is left out); the feed's last shift is cut
    # at its horizon, so compare every other one with what the resolver gives over that span.
    first, last = events[0][1], events[-1][1]
    shifts = (await admin.get(f"/schedules/{schedule_id}/shifts",
                              params={"start": iso(first), "end": iso(last)})).json()
    assert events[:-1] == [(s["person"], datetime.fromisoformat(s["starts_at"]),
                            datetime.fromisoformat(s["ends_at"])) for s in shifts]
    assert len(events) > 50 and {e[0] for e in events} == {people["ana"], people["ben"]}
    assert [e for e in events_of(own.content) if e[1] < last] == \
        [e for e in events[:-1] if e[0] == people["ben"]]

    token = link["url"].rsplit("/", 1)[1].removesuffix(".ics")
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    forged, _ = feed_token("schedule", schedule_id, secret="not-our-secret-" * 3, ttl_s=600)
    expired, _ = feed_token("schedule", schedule_id, secret=get_settings().jwt_secret, ttl_s=-60)
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as app:
        answers = {name: await app.get(f"/calendar/{t}.ics") for name, t in
                   (("altered", altered), ("forged", forged), ("expired", expired))}
        bearer = await app.get(f"/api/v1/schedules/{schedule_id}",
                               headers={"Authorization": f"Bearer {token}"})
    assert {n: (a.status_code, a.json()["error"]["code"]) for n, a in answers.items()} == {
        "altered": (403, "invalid_link"), "forged": (403, "invalid_link"),
        "expired": (401, "link_expired")}
    assert bearer.status_code == 401  # a feed link is never a bearer token


def ics(*events: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + "".join(events)
            + "END:VCALENDAR\r\n")


def vevent(who: str, start: str, end: str, rule: str = "", tz: str = "Europe/London") -> str:
    zone = f";TZID={tz}" if tz else ""
    return (f"BEGIN:VEVENT\r\nUID:{uuid.uuid4().hex}\r\nDTSTART{zone}:{start}\r\n"
            f"DTEND{zone}:{end}\r\n" + (f"RRULE:{rule}\r\n" if rule else "")
            + f"ATTENDEE:urn:vigil:staff:{who}\r\nEND:VEVENT\r\n")


async def test_an_ics_rota_imports_as_a_rotation_and_overrides_and_a_bad_file_changes_nothing(
        admin: httpx.AsyncClient) -> None:
    people = await make_people(admin, "ana", "ben", "cai", "dee")
    schedule_id = await make_schedule(admin, people, ["dee"])
    ana, ben, cai = people["ana"], people["ben"], people["cai"]
    # Three people on weekly turns from Monday 5 January 2026, 08:00 London time, exported
    # turn by turn; and a one-off cover on 1 March (Kuala Lumpur time, floating).
    rota = ics(*(vevent(who, f"202601{5 + 7 * n:02d}T080000", f"202601{12 + 7 * n:02d}T080000",
                        "FREQ=WEEKLY;INTERVAL=3") for n, who in enumerate((ana, ben, cai))),
               vevent(cai, "20260301T090000", "20260301T170000", tz=""))
    made = await admin.post(f"/schedules/{schedule_id}/import",
                            json={"calendar": rota, "reason": "winter rota from the old system"})
    assert made.status_code == 201, made.text
    schedule = made.json()["schedule"]
    [layer] = [row for row in schedule["layers"] if row["id"] in made.json()["layers"]]
    assert (layer["members"], layer["turn"], layer["priority"]) == ([ana, ben, cai], "weekly", 1)
    assert layer["rotation_start"] == "2026-01-05T16:00:00"  # London 08:00 on Kuala Lumpur's clock
    [cover] = schedule["overrides"]
    assert (cover["person"], cover["starts_at"]) == (cai, "2026-03-01T01:00:00Z")

    async def who(at: str) -> str:
        return (await admin.get(f"/schedules/{schedule_id}/on-call", params={"at": at})).json()[
            "person"]
    # Turn k is member k mod 3: the week of 2 February is turn 4, so Ben's.
    assert [await who(at) for at in ("2026-01-06T12:00:00Z", "2026-02-03T12:00:00Z",
                                     "2026-03-01T05:00:00Z", "2026-03-01T10:00:00Z")] == \
        [ana, ben, cai, await who("2026-03-01T10:00:00Z")]
    with reading() as session:
        entry = session.exec(select(AuditEntry).where(
            AuditEntry.subject == f"schedule:{schedule_id}",
            AuditEntry.action == "oncall.calendar_imported")).one()
    assert (entry.actor, entry.detail["reason"]) == ("admin-raj", "winter rota from the old system")

    version = schedule["version"]
    bad = {
        "not a calendar": ("BEGIN:VCALENDAR\r\ngarbage\r\n", "body.calendar"),
        "weekday rule": (ics(vevent(ana, "20260105T080000", "20260105T200000",
                                    "FREQ=WEEKLY;BYDAY=MO,TU")), "body.calendar.VEVENT[0].RRULE"),
        "turns that are not one rotation": (
            ics(vevent(ana, "20260105T080000", "20260112T080000", "FREQ=WEEKLY;INTERVAL=3")),
            "body.calendar.VEVENT[0].RRULE"),
        "nobody we know": (ics(vevent("nobody-at-all", "20260401T080000", "20260401T090000"),
                               ), "body.calendar.VEVENT[0].ATTENDEE"),
        "overlaps the cover": (ics(vevent(ana, "20260410T080000", "20260410T090000"),
                                   vevent(ben, "20260301T100000", "20260301T110000", tz="")),
                               "body.calendar.VEVENT[1].starts_at"),
    }
    for case, (text, field) in bad.items():
        answer = await admin.post(f"/schedules/{schedule_id}/import", json={"calendar": text})
        assert answer.status_code == 422, (case, answer.text)
        assert field in [d["field"] for d in answer.json()["error"]["details"]], (case, answer.text)
    after = (await admin.get(f"/schedules/{schedule_id}")).json()
    assert (after["version"], len(after["layers"]), len(after["overrides"])) == (version, 2, 1)


def audit_of(schedule_id: str, prefix: str) -> list[tuple[str, str, str | None]]:
    with reading() as session:
        rows = session.exec(select(AuditEntry).where(
            AuditEntry.subject == f"schedule:{schedule_id}",
            col(AuditEntry.action).startswith(prefix)).order_by(col(AuditEntry.seq))).all()
    return [(e.actor, e.action, e.detail["reason"]) for e in rows]


async def test_a_colleague_accepts_a_swap_an_admin_imposes_one_and_each_is_audited(
        admin: httpx.AsyncClient, client_for) -> None:
    people = await make_people(admin, "ana", "ben", "cai")
    schedule_id = await make_schedule(admin, people, ["ana", "ben"])
    path = f"/schedules/{schedule_id}/swaps"
    tomorrow = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1, hours=2)
    slot = {"starts_at": iso(tomorrow), "ends_at": iso(tomorrow + timedelta(hours=6))}
    async with client_for(people["ben"]) as ben, client_for(people["cai"]) as cai, \
            client_for(people["ana"]) as ana:
        asked = await ben.post(path, json={**slot, "colleague": people["cai"],
                                           "reason": "my daughter's wedding"})
        assert asked.status_code == 201, asked.text
        swap = asked.json()
        assert (swap["person"], swap["status"]) == (people["ben"], "requested")
        assert (await ben.post(path, json={**slot, "colleague": people["ana"],
                                           "impose": True})).status_code == 403
        assert (await ben.post(path, json={**slot, "colleague": people["ana"],
                                           "person": people["ana"]})).status_code == 403
        assert (await ana.post(f"{path}/{swap['id']}/accept", json={})).status_code == 403
        taken = await cai.post(f"{path}/{swap['id']}/accept", json={"reason": "happy to"})
        assert taken.status_code == 200, taken.text
        assert (await cai.post(f"{path}/{swap['id']}/decline", json={})).status_code == 409
    assert taken.json()["status"] == "accepted"
    middle = iso(tomorrow + timedelta(hours=3))
    now_on = (await admin.get(f"/schedules/{schedule_id}/on-call", params={"at": middle})).json()
    assert (now_on["person"], now_on["source"]) == (
        people["cai"], f"override:{taken.json()['override_id']}")

    later = tomorrow + timedelta(days=2)
    imposed = await admin.post(path, json={
        "person": people["ana"], "colleague": people["ben"], "impose": True, "starts_at": iso(later),
        "ends_at": iso(later + timedelta(hours=2)), "reason": "Ana is needed in theatre"})
    assert imposed.status_code == 201, imposed.text
    assert imposed.json()["status"] == "imposed" and imposed.json()["override_id"]
    clash = await admin.post(path, json={**slot, "person": people["ana"],
                                         "colleague": people["ben"], "impose": True})
    assert clash.status_code == 422 and clash.json()["error"]["code"] == "overlapping_override"
    assert audit_of(schedule_id, "oncall.swap") == [
        (people["ben"], "oncall.swap_requested", "my daughter's wedding"),
        (people["cai"], "oncall.swap_accepted", "happy to"),
        ("admin-raj", "oncall.swap_imposed", "Ana is needed in theatre")]
    listed = (await admin.get(path)).json()
    assert [s["status"] for s in listed] == ["imposed", "accepted"]


def sent(subject: str, kind: str) -> list[DeliveryAttempt]:
    with reading() as session:
        return list(session.exec(select(DeliveryAttempt).where(
            DeliveryAttempt.subject_id == subject, DeliveryAttempt.kind == kind)).all())


async def test_the_watcher_tells_whoever_comes_on_and_reports_a_gap_to_the_admins_once(
        admin: httpx.AsyncClient, temporal_address: str) -> None:
    people = await make_people(admin, "ana", "ben")
    facility = people["facility"]
    boss = f"boss-{uuid.uuid4().hex[:8]}"
    assert (await admin.post("/staff", json={
        "id": boss, "name": "Boss", "role": "admin", "facility_id": facility,
        "email": f"{boss}@example.org"})).status_code == 201
    # Ana's first turn starts in 30 minutes: nobody is on call until then (a gap), and with an
    # hour's notice she is told at once, on the app (she has no other address).
    schedule_id = f"sched-{uuid.uuid4().hex[:8]}"
    starts = (datetime.now(ZoneInfo(ZONE)) + timedelta(minutes=30)).replace(
        tzinfo=None, microsecond=0)
    made = await admin.post("/schedules", json={
        "id": schedule_id, "name": "Night cover", "facility_id": facility, "time_zone": ZONE,
        "handoff_notice_minutes": 60, "layers": [{
            "name": "days", "members": [people["ana"], people["ben"]], "turn": "daily",
            "rotation_start": starts.isoformat()}]})
    assert made.status_code == 201, made.text
    watcher = f"oncall-{schedule_id}"
    def boss_told() -> list[tuple[str, str]]:  # (admins of no facility are told too)
        return sorted((a.recipient_id, a.channel) for a in sent(watcher, "rota_gap")
                      if a.recipient_id == boss)

    await eventually(lambda: len(boss_told()) == 2, what="the gap alarm on both its channels")
    told = await eventually(lambda: sent(watcher, "shift_handoff"), what="the hand-off notice")
    assert [(a.recipient_id, a.channel) for a in told] == [(people["ana"], "websocket")]

    # A change wakes the watcher; it looks again and finds the same gap: reported already.
    client = await Client.connect(temporal_address)
    handle = client.get_workflow_handle(watcher)
    looked = (await handle.query("state"))["looks"]
    later = datetime.now(UTC) + timedelta(days=3)
    assert (await admin.post(f"/schedules/{schedule_id}/overrides", json={
        "person": people["ben"], "starts_at": iso(later),
        "ends_at": iso(later + timedelta(hours=1))})).status_code == 201

    async def looked_again() -> dict | None:
        state = await handle.query("state")
        return state if state["looks"] > looked else None

    state = await eventually(looked_again, what="the watcher woken by the change")
    assert len(state["reported_gaps"]) == 1
    assert boss_told() == [(boss, "email"), (boss, "websocket")]
    window = state["reported_gaps"][0]
    assert datetime.fromisoformat(window["ends_at"]) == starts.replace(
        tzinfo=ZoneInfo(ZONE)).astimezone(UTC)
    assert [(a.recipient_id, a.kind) for a in sent(watcher, "shift_handoff")] == [
        (people["ana"], "shift_handoff")]


async def test_an_open_emergency_shows_in_the_inbox_of_whoever_the_rota_now_names(
        admin: httpx.AsyncClient, stack) -> None:
    people = await make_people(admin, "ana", "cai")
    schedule_id = await make_schedule(admin, people, ["ana"])
    policy = await fast_policy(admin, channels=[{"channel": "websocket"}], tiers=[
        {"name": "rota", "targets": f"schedule:{schedule_id}", "ack_timeout_s": 600}])
    raised = await admin.post("/emergencies", json=emergency_body(
        policy_id=policy, location={"facility_id": people["facility"], "department": "ED"}))
    assert raised.status_code == 201, raised.text
    emergency_id = raised.json()["id"]
    try:
        now = datetime.now(UTC)
        cover = await admin.post(f"/schedules/{schedule_id}/overrides", json={
            "person": people["cai"], "starts_at": iso(now - timedelta(minutes=1)),
            "ends_at": iso(now + timedelta(hours=2)), "reason": "cai takes over"})
        assert cover.status_code == 201, cover.text
        # Cai was never paged; the rota names him now, so his fresh inbox has it.
        async with staff_socket(stack.ws_url(), people["cai"]) as ws:
            frame = await next_frame(ws, subject_id=emergency_id)
        assert frame["on_call_by"] == f"schedule:{schedule_id}"
    finally:
        await admin.post(f"/emergencies/{emergency_id}/cancel", json={"reason": "test over"})


async def test_a_bad_swap_or_notice_time_is_refused_naming_the_field_and_changes_nothing(
        admin: httpx.AsyncClient, client_for) -> None:
    people = await make_people(admin, "ana", "ben")
    schedule_id = await make_schedule(admin, people, ["ana"])
    at = datetime.now(UTC) + timedelta(days=1)
    swap = {"colleague": people["ben"], "starts_at": iso(at), "ends_at": iso(at + timedelta(hours=1))}
    async with client_for(people["ana"]) as ana:
        answers = {
            "body.colleague": await ana.post(f"/schedules/{schedule_id}/swaps",
                                             json={**swap, "colleague": people["ana"]}),
            "body": await ana.post(f"/schedules/{schedule_id}/swaps",
                                   json={**swap, "ends_at": iso(at - timedelta(hours=1))}),
        }
    answers["body.handoff_notice_minutes"] = await admin.post("/schedules", json={
        "id": f"sched-{uuid.uuid4().hex[:8]}", "name": "x", "facility_id": people["facility"],
        "time_zone": ZONE, "handoff_notice_minutes": -5})
    for field, answer in answers.items():
        assert answer.status_code == 422, answer.text
        assert field in [d["field"] for d in answer.json()["error"]["details"]], answer.text
    assert (await admin.get(f"/schedules/{schedule_id}/swaps")).json() == []
