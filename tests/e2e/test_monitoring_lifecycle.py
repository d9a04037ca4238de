"""Start, change, end, audit, chart; a long session continues as new and keeps every reading."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from temporalio.client import Client

from tests.utils import monitoring
from tests.utils.monitoring import (
    NEWS2_5,
    NORMAL,
    a_reading,
    feed,
    priorities,
    projection,
    stored,
)
from tests.utils.records import audit_actions, audit_entry
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e
coordinator, open_session = monitoring.coordinator, monitoring.open_session  # fixtures


async def test_thresholds_change_mid_session_is_validated_audited_and_used_from_the_next_reading(
        open_session, coordinator: httpx.AsyncClient) -> None:
    session = await open_session(thresholds={"heart_rate_high": 110})
    sid = session["id"]
    assert session["thresholds"]["heart_rate_high"] == 110, "personal override"
    assert session["thresholds"]["heart_rate_low"] == 50, "continuous_vitals default"
    url = f"/sessions/{sid}/thresholds"
    nonsense = await coordinator.put(url, json={"overrides": {"heart_rate_low": 130}})
    assert nonsense.status_code == 422, nonsense.text
    assert nonsense.json()["error"]["code"] == "invalid_thresholds"
    assert nonsense.json()["error"]["details"] == {"field": "heart_rate_low",
                                                   "reason": "must be below heart_rate_high"}
    await feed(coordinator, sid, a_reading({**NORMAL, "heart_rate": 88}))
    await eventually(lambda: len(stored(sid)) == 1, what="first reading stored")
    changed = await coordinator.put(url, json={"overrides": {"heart_rate_high": 85},
                                               "reason": "beta-blocked, tighter limit"})
    assert changed.status_code == 200 and changed.json()["heart_rate_high"] == 85
    entry = await eventually(lambda: audit_entry(sid, "monitoring.thresholds_changed"),
                             what="the change audited")
    assert (entry.actor, entry.detail["before"]["heart_rate_high"],
            entry.detail["after"]["heart_rate_high"]) == ("coord-lee", 110, 85)
    await feed(coordinator, sid, a_reading({**NORMAL, "heart_rate": 88}))
    await eventually(lambda: priorities(sid) == ["medium"], what="the new limit paging")
    assert projection(sid).thresholds["heart_rate_high"] == 85


async def test_ending_a_session_answers_with_its_summary_and_closes_it(
        open_session, coordinator: httpx.AsyncClient, client_for) -> None:
    sid = (await open_session())["id"]
    await feed(coordinator, sid, a_reading(NORMAL), a_reading(NEWS2_5))
    await eventually(lambda: priorities(sid) == ["medium"], what="the care team paged")
    async with client_for("nurse-siti") as siti:
        assert (await siti.post(f"/sessions/{sid}/alarms/news2/acknowledge")).status_code == 200
    await feed(coordinator, sid, a_reading(NORMAL))  # scored before the summary, though sent last
    response = await coordinator.post(f"/sessions/{sid}/end", json={"reason": "discharged"})
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["readings"] == 3 and summary["duration_s"] > 0
    assert summary["alarms_by_priority"] == {"high": 0, "medium": 1, "low": 0}
    [alarm] = summary["alarms"]
    assert alarm["key"] == "news2" and alarm["acknowledged_by"] == "nurse-siti"
    assert alarm["time_to_acknowledge_s"] > 0
    row = projection(sid)
    assert row.status == "ended" and row.summary["readings"] == 3 and len(stored(sid)) == 3
    actions = audit_actions(sid)
    for action in ("monitoring.started", "monitoring.ending", "monitoring.alarm_raise",
                   "monitoring.alarm_acknowledged", "monitoring.ended"):
        assert action in actions
    assert "monitoring.created" not in actions  # the workflow alone records its start
    late = await coordinator.post(f"/sessions/{sid}/readings", json=a_reading(NORMAL))
    assert late.status_code == 409 and late.json()["error"]["code"] == "session_ended"
    again = await coordinator.post(f"/sessions/{sid}/end")
    assert again.status_code == 409


async def test_a_session_whose_workflow_is_gone_takes_no_reading_though_its_row_says_active(
        open_session, coordinator: httpx.AsyncClient, temporal_address: str) -> None:
    # The API keeps a session's row for ten minutes to check readings against it; a
    # workflow that ended without its row hearing of it must still refuse them.
    sid = (await open_session())["id"]
    await feed(coordinator, sid, a_reading(NORMAL))  # the API has the row in hand now
    await eventually(lambda: len(stored(sid)) == 1, what="the first reading stored")
    temporal = await Client.connect(temporal_address)
    await temporal.get_workflow_handle(sid).terminate(reason="test: the workflow is gone")
    for _ in range(2):
        late = await coordinator.post(f"/sessions/{sid}/readings", json=a_reading(NORMAL))
        assert late.status_code == 409 and late.json()["error"]["code"] == "session_ended"
    assert projection(sid).status == "active", "nothing recorded the end"


async def test_history_is_served_as_a_time_series_for_charts(
        open_session, coordinator: httpx.AsyncClient) -> None:
    sid = (await open_session())["id"]
    start = datetime.now(timezone.utc) - timedelta(minutes=10)
    await feed(coordinator, sid, *[
        a_reading({**NORMAL, "heart_rate": 70 + i}, at=start + timedelta(minutes=i))
        for i in range(5)])
    await eventually(lambda: len(stored(sid)) == 5, what="all stored")
    since = (start + timedelta(minutes=1)).isoformat()
    chart = (await coordinator.get(f"/sessions/{sid}/readings", params={"since": since})).json()
    assert [value for _, value in chart["series"]["heart_rate"]] == [71, 72, 73, 74]
    assert [value for _, value in chart["series"]["news2"]] == [0, 0, 0, 0]
    assert [p["seq"] for p in chart["points"]] == [2, 3, 4, 5]


async def test_continue_as_new_mid_stream_keeps_every_reading_exactly_once(
        open_session, coordinator: httpx.AsyncClient) -> None:
    sid = (await open_session(timing={"max_readings_per_run": 7, "flush_max": 3,
                                      "flush_interval_s": 0.1, "hysteresis_s": 30}))["id"]
    start = datetime.now(timezone.utc) - timedelta(minutes=30)
    sent = [a_reading({**NORMAL, "heart_rate": 60 + i}, at=start + timedelta(seconds=i))
            for i in range(60)]
    # Twenty requests at once, so readings arrive while a run is handing over to the next.
    await asyncio.gather(*[feed(coordinator, sid, *sent[i:i + 3]) for i in range(0, 60, 3)])
    rows = await eventually(lambda: len(stored(sid)) >= 60 and stored(sid), timeout_s=30,
                            what="all 60 stored")
    assert [r.seq for r in rows] == list(range(1, 61)), "each stored once, none missing"
    assert sorted(r.vitals["heart_rate"] for r in rows) == [60 + i for i in range(60)]
    live = (await coordinator.get(f"/sessions/{sid}")).json()["live"]
    assert live["runs"] >= 9, "continued as new every 7 readings"
    # 7 is no multiple of the 3-reading batch, so runs ended with signalled readings unscored.
    assert live["carried"] > 0, "readings waiting at the switch rode into the next run"
    assert (live["received"], live["evaluated"], live["stored"]) == (60, 60, 60)


async def test_a_session_s_history_replays_against_today_s_code(
        stack, temporal_address: str) -> None:
    from temporalio.client import Client

    from audit.replay import replay
    from tests.replay.scenarios import monitoring_session_acknowledged_and_ended

    client = await Client.connect(temporal_address)
    sid = await monitoring_session_acknowledged_and_ended(stack.api_url, client)
    history = await client.get_workflow_handle(sid).fetch_history()
    kinds = {event.WhichOneof("attributes") for event in history.events}
    assert {"activity_task_scheduled_event_attributes",
            "workflow_execution_update_accepted_event_attributes"} <= kinds, "a page, an update"
    [outcome] = await replay([history])
    assert outcome.ok, outcome.error
