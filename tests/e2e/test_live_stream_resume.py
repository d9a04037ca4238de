"""A reconnecting client gets every page it missed, the newest included, however far behind;
a resume point it cannot have (ahead of the log, beyond any integer) starts it from now, said."""

from __future__ import annotations

import uuid

import httpx
import pytest

from db.engine import reading, writing
from db.models import Emergency
from db.models import Staff as StaffRow
from events.topics import staff_topic
from tests.utils.api import fast_policy, token
from tests.utils.waiting import eventually
from tests.utils.live import next_frame, open_sse, publish_to, staff_socket

pytestmark = pytest.mark.e2e


def busy_person() -> str:
    """A staff member of its own (in the directory, as a socket's token must name someone),
    so its inbox holds only what the test puts there."""
    person = f"dr-busy-{uuid.uuid4().hex[:8]}"
    with writing() as session:
        session.add(StaffRow(id=person, name="Dr Busy", role="provider",
                             facility_id="vigil-general"))
    return person


def emergency_row(emergency_id: str) -> Emergency | None:
    with reading() as session:
        return session.get(Emergency, emergency_id)


def fill_inbox(staff_id: str, count: int) -> list[int]:
    """`count` old pages about long-finished emergencies."""
    return publish_to(staff_topic(staff_id), "page",
                      [{"subject_id": f"emergency-old-{i}", "text": "old"} for i in range(count)])


async def test_socket_resuming_far_behind_receives_every_missed_page_up_to_the_newest(stack) -> None:
    person = busy_person()
    [resume_from] = fill_inbox(person, 1)
    missed = fill_inbox(person, 1_200)
    [newest] = publish_to(staff_topic(person), "page", [{"subject_id": "emergency-now"}])
    async with staff_socket(stack.ws_url(), person, last_event_id=resume_from) as ws:
        received = []
        while not received or received[-1] != newest:
            received.append((await next_frame(ws, type="event"))["id"])
    assert received == [*missed, newest], "all of them, oldest first, none twice"


async def test_inbox_sse_resuming_far_behind_reaches_the_newest_page(stack) -> None:
    person = busy_person()
    [resume_from] = fill_inbox(person, 1)
    fill_inbox(person, 1_100)
    [newest] = publish_to(staff_topic(person), "page", [{"subject_id": "emergency-now"}])
    async with as_person(stack, person) as client, \
            open_sse(client, f"/staff/{person}/inbox", last_event_id=str(resume_from)) as sse:
        ids = [int((await sse.next())["id"]) for _ in range(1_101)]
    assert ids[-1] == newest and ids == sorted(set(ids))


async def test_fresh_socket_gets_the_pages_still_open_then_live_ones(
        stack, admin: httpx.AsyncClient, raise_emergency) -> None:
    person = busy_person()
    open_id = await raise_emergency(policy_id=await fast_policy(admin, tier_timeout_s=120))
    await eventually(lambda: emergency_row(open_id), what="the emergency's record")
    fill_inbox(person, 30)
    [still_open] = publish_to(staff_topic(person), "page", [{"subject_id": open_id}])
    fill_inbox(person, 30)
    async with staff_socket(stack.ws_url(), person) as ws:
        first = await next_frame(ws, type="event")
        [live] = publish_to(staff_topic(person), "page", [{"subject_id": "emergency-new"}])
        second = await next_frame(ws, type="event")
    assert first["id"] == still_open, "the finished emergencies' pages are not replayed"
    assert second["id"] == live


async def test_socket_resume_id_ahead_of_the_log_gets_a_notice_then_the_next_live_page(stack) -> None:
    person = busy_person()
    [latest] = fill_inbox(person, 1)
    async with staff_socket(stack.ws_url(), person, last_event_id=latest + 50_000) as ws:
        notice = await next_frame(ws, type="notice")
        [live] = publish_to(staff_topic(person), "page", [{"subject_id": "emergency-next"}])
        frame = await next_frame(ws, type="event")
    assert notice["code"] == "resume_ahead_of_log" and notice["last_event_id"] >= latest
    assert frame["id"] == live


@pytest.mark.parametrize("path", ["inbox", "emergency"])
async def test_last_event_id_beyond_int64_is_streamed_from_now_with_a_notice(
        stack, admin: httpx.AsyncClient, raise_emergency, path: str) -> None:
    person = busy_person()
    if path == "inbox":
        url, topic = f"/staff/{person}/inbox", staff_topic(person)
    else:
        emergency_id = await raise_emergency(policy_id=await fast_policy(admin, tier_timeout_s=120))
        url, topic = f"/emergencies/{emergency_id}/events", f"emergency:{emergency_id}"
    async with as_person(stack, person, "admin") as client, \
            open_sse(client, url, last_event_id="9223372036854775808") as sse:
        notice = await sse.next()
        [live] = publish_to(topic, "note", [{"subject_id": "x"}])
        later = [await sse.next()]
        while later[-1]["event"] != "note":  # the emergency's own workflow may publish too
            later.append(await sse.next())
    assert notice["event"] == "notice" and notice["data"]["code"] == "resume_ahead_of_log"
    assert int(later[-1]["id"]) == live
    assert all(int(e["id"]) > int(notice["id"]) for e in later), "from now: nothing older"


async def test_a_last_event_id_that_is_not_a_plain_number_is_a_400(stack) -> None:
    person = busy_person()
    async with as_person(stack, person) as client:
        for bad in ("+5", "1_000", "1e3", "-1", "5x"):
            response = await client.get(f"/staff/{person}/inbox", headers={"Last-Event-ID": bad})
            assert response.status_code == 400, bad
            assert response.json()["error"]["code"] == "invalid_last_event_id"


def as_person(stack, person: str, *roles: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1", timeout=30,
                             headers={"Authorization": f"Bearer {token(person, *roles)}"})

