"""Audit review over the running stack: real workflows are found, told, exported and replayed.

The scenarios are the corpus's own (tests/replay/scenarios.py), run here on
the test Temporal server for a patient of this module's own.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client, WorkflowHistory

from audit.checkpoints import checkpoint_ok
from audit.export import read_bundle
from audit.history import audit_entries
from audit.keys import audit_key
from audit.replay import replay
from cli.stack import Stack
from tests.replay.scenarios import SCENARIOS
from tests.utils.api import as_user
from tests.utils.waiting import eventually

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PATHS = ("emergency_acknowledged", "emergency_exhausted", "emergency_handed_over",
         "emergency_cancelled")


@dataclass
class Recorded:
    patient_id: str
    ids: dict[str, str]
    began: datetime
    ended: datetime


@pytest.fixture(scope="module")
async def temporal(temporal_address: str) -> Client:
    return await Client.connect(temporal_address)


@pytest.fixture(scope="module")
async def recorded(stack: Stack, temporal: Client) -> Recorded:
    """Three emergencies for one fresh patient, run to their end."""
    patient = f"patient-audit-{uuid.uuid4().hex[:8]}"
    began = datetime.now(timezone.utc) - timedelta(seconds=1)
    ids = await asyncio.gather(*(SCENARIOS[n](stack.api_url, temporal, patient) for n in PATHS))
    return Recorded(patient, dict(zip(PATHS, ids)), began, datetime.now(timezone.utc))


def auditor(stack: Stack) -> httpx.AsyncClient:
    return as_user(stack.api_url, "auditor-ng", "auditor")


async def test_auditor_finds_workflows_by_patient_kind_facility_severity_status_and_time(
        stack: Stack, recorded: Recorded) -> None:
    every = set(recorded.ids.values())
    cancelled = {recorded.ids["emergency_cancelled"]}
    async with auditor(stack) as reviewer:
        async def found(**params: str) -> set[str]:
            response = await reviewer.get("/review/workflows", params=params)
            assert response.status_code == 200, response.text
            return {hit["workflow_id"] for hit in response.json()}

        async def indexed() -> bool:  # visibility catches up a moment after the close
            return (await found(patient_id=recorded.patient_id, status="resolved")
                    == every - cancelled)

        await eventually(indexed, timeout_s=20, what="search attributes indexed")
        assert await found(patient_id=recorded.patient_id, kind="emergency",
                           facility_id="vigil-general", severity="critical",
                           started_after=recorded.began.isoformat(),
                           started_before=recorded.ended.isoformat()) == every
        assert await found(patient_id=recorded.patient_id, status="cancelled") == cancelled
        assert await found(patient_id=recorded.patient_id, severity="urgent") == set()
        assert await found(patient_id=recorded.patient_id, kind="monitoring_session") == set()
        assert await found(patient_id=recorded.patient_id, status="active") == set()
        assert await found(patient_id=recorded.patient_id,
                           started_after=recorded.ended.isoformat()) == set()
        hit = (await reviewer.get("/review/workflows", params={
            "patient_id": recorded.patient_id, "limit": 1})).json()[0]
        assert hit["kind"] == "emergency" and hit["execution_status"] == "COMPLETED"
        bad = await reviewer.get("/review/workflows", params={"patient_id": "x' OR 'a'='a"})
        assert bad.status_code == 422


async def test_timeline_names_every_page_receipt_acknowledgement_and_close(
        stack: Stack, recorded: Recorded) -> None:
    async with auditor(stack) as reviewer:
        response = await reviewer.get(f"/review/workflows/{recorded.ids['emergency_acknowledged']}"
                                      "/timeline")
    assert response.status_code == 200, response.text
    items = response.json()
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    assert {"started", "page", "receipt", "command", "acknowledgement", "status",
            "closed"} <= {i["kind"] for i in items}
    pages = [i for i in items if i["kind"] == "page" and "channel" in i["detail"]]
    assert {"websocket", "push", "sms", "voice"} <= {p["detail"]["channel"] for p in pages}
    assert all(p["detail"]["outcome"] and p["detail"]["provider_message_id"] for p in pages)
    assert all(p["detail"]["recipient_id"] in p["summary"] for p in pages)
    receipt = next(i for i in items if i["kind"] == "receipt")
    assert receipt["actor"] == "dr-tan" and receipt["detail"]["channel"] == "websocket"
    ack = next(i for i in items if i["kind"] == "acknowledgement")
    assert ack["summary"] == "Acknowledged by Dr Mei Tan (dr-tan) via websocket"


async def test_timeline_shows_escalation_to_exhaustion_and_a_handover(
        stack: Stack, recorded: Recorded) -> None:
    async with auditor(stack) as reviewer:
        exhausted = (await reviewer.get(
            f"/review/workflows/{recorded.ids['emergency_exhausted']}/timeline")).json()
        handed = (await reviewer.get(
            f"/review/workflows/{recorded.ids['emergency_handed_over']}/timeline")).json()
    escalations = [i["summary"] for i in exhausted if i["kind"] == "escalation"]
    assert any(s.startswith("Escalated to tier 'charge nurse'") for s in escalations)
    assert any(s.startswith("Nobody acknowledged") for s in escalations)
    tiers = [i["summary"].split(":")[0] for i in exhausted if i["summary"].startswith("Tier ")]
    assert {f"Tier '{tier}' paged on websocket, push, sms"
            for tier in ("responders", "charge nurse", "admins")} <= set(tiers)
    [handover] = [i for i in handed if i["kind"] == "handover"]
    assert handover["summary"] == ("Handed over from Dr Mei Tan (dr-tan) to Dr Farid Aziz "
                                   "(dr-aziz) by Dr Mei Tan (dr-tan): end of shift")


async def test_timeline_prints_as_a_page(stack: Stack, recorded: Recorded) -> None:
    workflow_id = recorded.ids["emergency_handed_over"]
    async with auditor(stack) as reviewer:
        response = await reviewer.get(f"/review/workflows/{workflow_id}/timeline.html")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "@media print" in page and workflow_id in page and "auditor-ng" in page
    assert "Handed over from Dr Mei Tan" in page and "<script" not in page


async def test_export_bundle_holds_history_timeline_audit_entries_and_verification(
        stack: Stack, recorded: Recorded) -> None:
    workflow_id = recorded.ids["emergency_exhausted"]
    async with auditor(stack) as reviewer:
        response = await reviewer.get(f"/review/workflows/{workflow_id}/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    bundle = read_bundle(response.content)  # checks every part against the manifest
    assert bundle["manifest"]["workflow_id"] == workflow_id
    assert bundle["manifest"]["exported_by"] == "auditor-ng"
    assert set(bundle["verification.json"]) >= {"ok", "entries", "head", "problems"}
    checkpoint = bundle["checkpoint.json"]  # signed with the audit key, which the stack shares
    assert checkpoint_ok(checkpoint, audit_key())
    assert checkpoint["seq"] >= max(e["seq"] for e in bundle["audit.json"])
    actions = {e["action"] for e in bundle["audit.json"]}
    assert {"emergency.unacknowledged", "emergency.resolved", "delivery.sent"} <= actions
    assert {"escalation", "closed"} <= {i["kind"] for i in bundle["timeline.json"]}
    assert "<table>" in bundle["timeline.html"]
    [run] = bundle["history.json"]["runs"]
    [outcome] = await replay([WorkflowHistory.from_json(workflow_id, run)])
    assert outcome.ok, outcome.error  # the exported history is replayable on its own


async def test_history_is_temporals_own_json(stack: Stack, recorded: Recorded) -> None:
    workflow_id = recorded.ids["emergency_acknowledged"]
    async with auditor(stack) as reviewer:
        response = await reviewer.get(f"/review/workflows/{workflow_id}/history")
    assert response.status_code == 200
    [run] = response.json()["runs"]
    assert run["events"][0]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    assert run["events"][-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"


async def test_replay_of_one_workflow_and_of_a_time_range_is_clean(
        stack: Stack, recorded: Recorded) -> None:
    async with auditor(stack) as reviewer:
        one = await reviewer.post(f"/review/workflows/{recorded.ids['emergency_handed_over']}"
                                  "/replay")
        ranged = await reviewer.post("/review/replay", json={
            "closed_after": recorded.began.isoformat(),
            "closed_before": (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat(),
            "kind": "emergency"})
    assert one.status_code == 200, one.text
    [outcome] = one.json()
    assert outcome["ok"] and outcome["workflow_type"] == "EmergencyEscalationWorkflow"
    assert ranged.status_code == 200, ranged.text
    replayed = {o["workflow_id"]: o for o in ranged.json()}
    assert set(recorded.ids.values()) <= set(replayed)
    assert all(o["ok"] for o in replayed.values()), ranged.json()


async def test_reads_by_an_auditor_appear_in_the_audit_log(stack: Stack, recorded: Recorded) -> None:
    workflow_id = recorded.ids["emergency_acknowledged"]
    async with auditor(stack) as reviewer:
        for path in ("timeline", "history", "timeline.html", "export"):
            assert (await reviewer.get(f"/review/workflows/{workflow_id}/{path}")).status_code == 200
        log = (await reviewer.get("/audit", params={"subject": workflow_id,
                                                    "action": "review."})).json()
    reads = [(e["actor"], e["action"]) for e in log]
    for action in ("review.timeline", "review.history", "review.export"):
        assert ("auditor-ng", action) in reads
    assert all(e["detail"]["patient_id"] == recorded.patient_id for e in log)


async def test_unknown_workflow_is_404(stack: Stack) -> None:
    async with auditor(stack) as reviewer:
        response = await reviewer.get("/review/workflows/emergency-no-such-thing/timeline")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


ROUTES = [("GET", "/review/workflows"), ("GET", "/review/workflows/w/timeline"),
          ("GET", "/review/workflows/w/timeline.html"), ("GET", "/review/workflows/w/history"),
          ("GET", "/review/workflows/w/export"), ("POST", "/review/workflows/w/replay"),
          ("POST", "/review/replay"), ("GET", "/audit"), ("GET", "/audit/verify"),
          ("POST", "/audit/checkpoints")]


@pytest.mark.parametrize("method,path", ROUTES)
@pytest.mark.parametrize("role", ["provider", "coordinator", "family", "anonymous"])
async def test_only_auditors_and_admins_reach_the_audit_routes(
        stack: Stack, role: str, method: str, path: str) -> None:
    body = {"closed_after": "2026-01-01T00:00:00Z"} if path == "/review/replay" else None
    if role == "anonymous":
        async with httpx.AsyncClient(base_url=f"{stack.api_url}/api/v1") as nobody:
            response = await nobody.request(method, path, json=body)
        assert response.status_code == 401
        return
    async with as_user(stack.api_url, f"someone-{role}", role) as user:
        response = await user.request(method, path, json=body)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


async def test_admins_may_review_too(stack: Stack) -> None:
    async with as_user(stack.api_url, "admin-raj", "admin") as admin:
        assert (await admin.get("/review/workflows", params={"limit": 1})).status_code == 200


async def test_export_reports_a_tampered_entry_at_its_position(
        stack: Stack, recorded: Recorded) -> None:
    from tests.e2e.test_audit_integrity import edited, own_entries, position

    _, middle, _ = own_entries()
    where = position(middle)
    with edited(middle):
        async with auditor(stack) as reviewer:
            response = await reviewer.get(
                f"/review/workflows/{recorded.ids['emergency_cancelled']}/export")
    bundle = read_bundle(response.content)
    verification = bundle["verification.json"]
    assert not verification["ok"] and not bundle["manifest"]["chain_ok"]
    assert {"position": where, "seq": middle, "problem": "edited"} in verification["problems"]
    assert "BROKEN" in bundle["timeline.html"]
    assert bundle["checkpoint.json"] is None  # a broken chain is never checkpointed


async def test_cli_exports_and_replays_a_workflow_and_names_the_reader(
        stack: Stack, recorded: Recorded, temporal_address: str, tmp_path: Path) -> None:
    workflow_id = recorded.ids["emergency_handed_over"]
    env = {**os.environ, "VIGIL_TEMPORAL_ADDRESS": temporal_address}

    def vigil(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cli.main", *args, "--reader", "cli:test"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                              check=False)

    exported = vigil("export", workflow_id, "-o", str(tmp_path / "bundle.zip"))
    assert exported.returncode == 0, exported.stderr
    assert read_bundle((tmp_path / "bundle.zip").read_bytes())["manifest"]["exported_by"] == "cli:test"
    replayed = vigil("replay", workflow_id)
    assert replayed.returncode == 0, replayed.stderr
    assert [o["ok"] for o in json.loads(replayed.stdout)] == [True]
    readers = {(e["actor"], e["action"]) for e in audit_entries(workflow_id)}
    assert {("cli:test", "review.export"), ("cli:test", "review.replay")} <= readers


async def test_stack_setup_finds_search_attributes_present_and_sets_retention(
        temporal: Client) -> None:
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

    from audit.retention import apply_temporal_retention
    from workflows.search_attributes import ensure_registered

    assert await ensure_registered(temporal) == []  # the dev server registered them at start
    await apply_temporal_retention(temporal, 45)
    described = await temporal.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=temporal.namespace))
    assert described.config.workflow_execution_retention_ttl.seconds == 45 * 86400


async def test_a_reviewer_checkpoints_the_chain_and_verification_names_the_checkpoint(
        stack: Stack) -> None:
    async with auditor(stack) as reviewer:
        taken = await reviewer.post("/audit/checkpoints")
        verified = (await reviewer.get("/audit/verify")).json()
    assert taken.status_code == 200, taken.text
    checkpoint = taken.json()["checkpoint"]
    assert taken.json()["verification"]["ok"] and checkpoint_ok(checkpoint, audit_key())
    assert verified["ok"] and verified["cannot_vouch_from"] is None
    assert verified["checkpoint"]["seq"] >= checkpoint["seq"]
