"""Vigil's own fault campaign: kill -9 the worker, the API or Temporal mid-escalation, then audit.

Starts its own stack on loopback in a fresh temporary directory (the Temporal
dev server on a SQLite file, the worker and the API as separate processes,
Vigil on SQLite, SMS through the real twilio library to a fake Twilio in this
process that answers after --provider-latency, as a real provider does). It
creates a short policy through the API (tier 1 = one on-call person,
WebSocket at 0 s and SMS at 3 s, acknowledgement timeout 6 s; tier 2 another
person, the same steps), then runs batches: a few escalations posted at
random offsets, one process chosen at random killed with SIGKILL at a random
moment, kept down a random time (often longer than the 6 s timeout) and
started again (Temporal on the same SQLite file and port). When a batch has
settled, bench/fault_checks.py checks every escalation from the API
(attempts, audit records, the audit chain). Everything random comes from
--seed; each batch prints its own seed, and --batch-seed replays that batch.

    .venv/bin/python bench/faults.py --runs 100 --seed 16     (or: vigil chaos --runs 100)

Prints one summary line and exits 1 on any unexplained failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.fault_checks import Finding, Kill, check_emergency  # noqa: E402
from bench.fault_stack import FACILITY, PHONES, POLICY, Campaign, seed_directory  # noqa: E402

KINDS = ("worker", "api", "temporal")
SETTLE_S = 120  # a batch must settle this long after its restart (30 s activity timeouts fit)


@dataclass
class BatchPlan:
    seed: int
    kind: str
    kill_after_s: float  # after the batch's first post
    down_s: float
    offsets: list[float]  # when each escalation is posted
    aimed: bool = False  # kill the worker while an SMS provider call is in flight (defect 7)

    @classmethod
    def draw(cls, seed: int, per_batch: int, aimed: bool = False,
             kinds: tuple[str, ...] = KINDS) -> BatchPlan:
        rng = random.Random(seed)
        kind, kill_after = rng.choice(kinds), round(rng.uniform(0.5, 12.0), 2)
        down = round(rng.uniform(0.5, 12.0), 2)
        offsets = [0.0] + sorted(round(rng.uniform(0, 4.0), 2) for _ in range(per_batch - 1))
        if aimed:
            kind, kill_after, down = "worker", -1.0, round(rng.uniform(0.5, 3.0), 2)
        return cls(seed, kind, kill_after, down, offsets, aimed)


async def post_emergency(api: httpx.AsyncClient, key: str, room: str) -> str:
    """POST until answered: a post that meets a dead API or Temporal is retried, same key."""
    body = {"idempotency_key": key, "type": "cardiac_arrest", "severity": "critical",
            "patient_id": "chaos-patient", "policy_id": "chaos", "description": "fault campaign",
            "location": {"facility_id": FACILITY, "department": "Chaos", "room": room,
                         "latitude": 3.0, "longitude": 101.0}}
    deadline = time.monotonic() + SETTLE_S
    while True:
        try:
            response = await api.post("/emergencies", json=body)
            if response.status_code in (200, 201):
                return str(response.json()["id"])
            if response.status_code < 500:
                raise RuntimeError(f"POST /emergencies {response.status_code}: {response.text}")
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"POST /emergencies {key} never answered")
        await asyncio.sleep(0.3)


async def settle(api: httpx.AsyncClient, ids: list[str], deadline: float) -> list[dict[str, Any]]:
    """Wait until every escalation has run out and no page is still in flight, or the deadline."""
    wanted = len(POLICY.expected())
    while True:
        details = []
        for emergency_id in ids:
            response = await api.get(f"/emergencies/{emergency_id}")
            if response.status_code == 404:  # its first record (after the first page) not yet written
                details.append({"id": emergency_id, "status": "not recorded", "attempts": [],
                                "short_code": "?"})
                continue
            response.raise_for_status()
            details.append(response.json())
        if all(d["status"] == "unacknowledged"
               and len([a for a in d["attempts"] if a["kind"] == "page"]) >= wanted
               and all(a["outcome"] != "sending" for a in d["attempts"]) for d in details):
            return details
        if time.monotonic() > deadline:
            return details
        await asyncio.sleep(1)


def delivered_counts(twilio: Any, since: int, details: list[dict[str, Any]]) -> Counter[str]:
    """How many times each page reached its person: SMS at the fake, WebSocket in the event log."""
    from sqlmodel import select

    from db.engine import reading
    from db.models import Event

    sends: Counter[str] = Counter()
    sms = [r.body for r in twilio.requests[since:] if r.path.endswith("/Messages.json")]
    for detail in details:
        for attempt in detail["attempts"]:
            if attempt["channel"] == "sms" and attempt["kind"] == "page":
                sends[attempt["id"]] = sum(
                    1 for body in sms if body.get("To") == PHONES.get(attempt["recipient_id"])
                    and detail["short_code"] in body.get("Body", ""))
    ids = {a["id"] for d in details for a in d["attempts"] if a["channel"] == "websocket"}
    with reading() as session:
        for event in session.exec(select(Event).where(Event.topic.startswith("staff:"))):
            if event.payload.get("attempt_id") in ids:
                sends[event.payload["attempt_id"]] += 1
    return sends


async def run_batch(campaign: Campaign, plan: BatchPlan, number: int) -> list[Finding]:
    """Post the batch's escalations, kill and restart one process, settle, check, cancel."""
    twilio_mark = len(campaign.twilio.requests)
    tag = uuid.uuid4().hex[:6]
    kill = Kill(plan.kind, at=0.0)
    async with campaign.api() as api:
        begun = time.monotonic()

        async def post_at(index: int, offset: float) -> str:
            await asyncio.sleep(offset)
            return await post_emergency(api, f"chaos-{tag}-{index}", f"{number}-{index}")

        async def strike() -> None:
            if plan.aimed:  # the moment the worker is inside a provider call
                campaign.twilio.in_call.clear()
                await asyncio.to_thread(campaign.twilio.in_call.wait, 60)
            else:
                await asyncio.sleep(plan.kill_after_s)
            kill.at = time.time()
            await asyncio.to_thread(campaign.kill, plan.kind)
            await asyncio.sleep(plan.down_s)
            kill.restarted = time.time()
            await asyncio.to_thread(campaign.restart, plan.kind)
            kill.ready = time.time() if plan.kind != "worker" else kill.restarted

        *ids, _ = await asyncio.gather(*(post_at(i, o) for i, o in enumerate(plan.offsets)),
                                       strike())
        details = await settle(api, ids, time.monotonic() + SETTLE_S)
        sends = delivered_counts(campaign.twilio, twilio_mark, details)
        findings = []
        for detail in details:
            audit = (await api.get("/audit", params={"subject": detail["id"], "limit": 5000})).json()
            findings.append(check_emergency(detail=detail, audit=audit, policy=POLICY, kill=kill,
                                            sends=sends))
        for kind in await asyncio.to_thread(campaign.exited):
            findings[0].failures.append(f"the {kind} exited by itself (restarted)")
        for emergency_id in ids:
            await api.post(f"/emergencies/{emergency_id}/cancel", json={"reason": "run over"})
    took = time.monotonic() - begun
    bad = sum(len(f.failures) for f in findings)
    moment = " in an SMS call" if plan.aimed else f"@{plan.kill_after_s}s"
    print(f"batch {number} seed={plan.seed} kill={plan.kind}{moment} "
          f"down={plan.down_s}s took={took:.0f}s failures={bad}", flush=True)
    for finding in findings:
        for failure in finding.failures:
            print(f"  FAIL {finding.emergency_id}: {failure}", flush=True)
    return findings


def summarise(plans: list[BatchPlan], findings: list[Finding], chain_ok: bool) -> dict[str, Any]:
    def spread(values: list[float]) -> dict[str, float] | None:
        values = sorted(values)
        return {"n": len(values), "min": values[0], "p50": values[len(values) // 2],
                "max": values[-1]} if values else None

    delays = [d for f in findings for d in f.delays]
    holds = [d for f in findings for d in f.holds]
    by = {f"{kind}/{due}": spread([d.seconds for d in delays if (d.kind, d.due) == (kind, due)])
          for kind in ("worker", "temporal") for due in ("before kill", "during outage")}
    return {
        "runs": len(findings), "kills": dict(Counter(p.kind for p in plans)),
        "late_steps": sum(f.late_steps for f in findings),
        "late_marks_without_outage": sum(f.late_marks_without_outage for f in findings),
        "duplicates_explained": sum(f.duplicates_explained for f in findings),
        "duplicates_unexplained": sum(f.duplicates_unexplained for f in findings),
        "failures": sum(len(f.failures) for f in findings) + (not chain_ok),
        "audit_chain_ok": chain_ok,
        "page_delay_after_restart_s": by,
        "tier_advance_delay_after_restart_s": {
            kind: spread([h.seconds for h in holds if h.kind == kind]) for kind in ("worker", "temporal")},
        "resent_after_cut_short": [asdict(d) for d in delays if d.tries >= 2],
    }


async def campaign_main(args: argparse.Namespace, data: Path) -> dict[str, Any]:
    campaign = Campaign(data, args.provider_latency)
    try:
        await asyncio.to_thread(campaign.start)
        async with campaign.api() as api:
            await seed_directory(api)
        rng = random.Random(args.seed)
        seeds = [args.batch_seed] if args.batch_seed is not None else []
        plans: list[BatchPlan] = []
        findings: list[Finding] = []
        stop_at = time.monotonic() + args.time_limit * 60
        while len(findings) < args.runs and time.monotonic() < stop_at:
            seed = seeds.pop() if seeds else rng.randrange(2**32)
            plans.append(BatchPlan.draw(seed, min(args.per_batch, args.runs - len(findings)),
                                        args.aimed, tuple(args.kinds.split(","))))
            try:
                findings += await run_batch(campaign, plans[-1], len(plans))
            except Exception as error:  # the harness itself stumbled: count it, say so, go on
                print(f"batch {len(plans)} seed={seed} ERROR {error!r}", flush=True)
                findings.append(Finding(f"batch {len(plans)}", failures=[f"harness: {error!r}"]))
                await asyncio.to_thread(campaign.exited)
            if args.batch_seed is not None:
                break
        async with campaign.api() as api:
            chain = (await api.get("/audit/verify")).json()
        return summarise(plans, findings, bool(chain.get("ok")))
    finally:
        await asyncio.to_thread(campaign.stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="escalations in all (max 1000)")
    parser.add_argument("--per-batch", type=int, default=2, help="escalations per kill")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--batch-seed", type=int, help="replay one batch a campaign printed")
    parser.add_argument("--provider-latency", type=float, default=0.3,
                        help="seconds the fake SMS provider takes to answer")
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help="which processes may be killed, comma-separated")
    parser.add_argument("--aimed", action="store_true",
                        help="kill the worker while an SMS provider call is in flight, every batch")
    parser.add_argument("--time-limit", type=float, default=45, help="minutes; stops sooner")
    parser.add_argument("--report", help="write the full summary here as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    args.runs = max(1, min(args.runs, 1000))
    if not set(args.kinds.split(",")) <= set(KINDS):
        parser.error(f"--kinds: choose from {', '.join(KINDS)}")
    data = Path(tempfile.mkdtemp(prefix="vigil-faults-"))
    os.environ["VIGIL_DATABASE_URL"] = f"sqlite:///{data / 'vigil.db'}"
    os.environ["VIGIL_JWT_SECRET"] = "chaos-" + uuid.uuid4().hex
    os.environ["VIGIL_AUDIT_KEY"] = "chaos-audit-" + uuid.uuid4().hex
    os.environ["VIGIL_AUDIT_CHECKPOINT_DIR"] = str(data / "audit-checkpoints")
    from settings import get_settings

    get_settings.cache_clear()
    result = asyncio.run(campaign_main(args, data))
    if args.report:
        Path(args.report).write_text(json.dumps(result, indent=2) + "\n")
    kills = " ".join(f"{k}={result['kills'].get(k, 0)}" for k in KINDS)
    worker = result["page_delay_after_restart_s"]["worker/before kill"] or {}
    print(f"faults: runs={result['runs']} kills: {kills} late_steps={result['late_steps']} "
          f"duplicates explained={result['duplicates_explained']} "
          f"unexplained={result['duplicates_unexplained']} chain={'ok' if result['audit_chain_ok'] else 'BROKEN'} "
          f"worker-kill resend delay p50={worker.get('p50', '-')}s max={worker.get('max', '-')}s "
          f"failures={result['failures']}")
    if result["failures"] or args.keep:
        print(f"logs and databases kept in {data}", file=sys.stderr)
    else:
        shutil.rmtree(data, ignore_errors=True)
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
