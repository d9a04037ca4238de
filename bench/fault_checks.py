"""What the fault campaign (bench/faults.py) demands of one escalation after a kill -9.

Given what the API reports about one emergency (its delivery attempts and its
audit records), how many times each page actually reached its recipient (the
fake SMS provider's log, the staff event log) and the kill that hit the batch,
`check_emergency` says what went wrong, if anything, against SPEC §8: every
due channel step of every tier went out, before its tier advanced; a step
due while the worker or Temporal was down is marked late; nothing reached a
person twice unless its attempt shows `tries` >= 2 (a crash cut a provider
call short). It also measures how long each page held up by the kill took to
go out after the restart (defect 7).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# A step due less than this before the restart may have gone out within LATE_AFTER_S
# (workflows/emergency.py), so it need not be marked late.
MARK_SLACK_S = 1.5


@dataclass
class Policy:
    steps: list[tuple[str, float]]  # (channel, after_s), the same for every tier
    tiers: list[tuple[str, float]]  # (staff id, ack_timeout_s)

    def expected(self) -> list[tuple[int, str, str, float]]:
        """(tier, recipient, channel, after_s) of every page the policy makes due, round 0."""
        return [(tier, staff_id, channel, after_s)
                for tier, (staff_id, ack_s) in enumerate(self.tiers)
                for channel, after_s in self.steps if after_s < ack_s]


@dataclass
class Kill:
    kind: str  # worker, api or temporal
    at: float  # epoch seconds when SIGKILL was sent
    restarted: float = 0.0  # when the process was started again
    ready: float = 0.0  # when it answered again (the worker: when it was started)


@dataclass
class Delay:
    """A page held up by a kill: how long after the restart it went out."""

    kind: str
    due: str  # "before kill" (queued or in flight when it died) or "during outage"
    channel: str
    seconds: float
    tries: int


@dataclass
class Finding:
    emergency_id: str
    failures: list[str] = field(default_factory=list)
    late_steps: int = 0
    late_marks_without_outage: int = 0
    duplicates_explained: int = 0
    duplicates_unexplained: int = 0
    delays: list[Delay] = field(default_factory=list)
    holds: list[Delay] = field(default_factory=list)  # tier advances held up by the kill


def epoch(value: str | None) -> float | None:
    return None if value is None else datetime.fromisoformat(value).timestamp()


def _records(audit: list[dict[str, Any]], change: str) -> list[dict[str, Any]]:
    return [e for e in audit if e["action"] == f"emergency.{change}"]


def _tier_end_seq(audit: list[dict[str, Any]], tier: int, tiers: int) -> int | None:
    """The seq of the record that moved the escalation past `tier` (round 0)."""
    if tier + 1 < tiers:
        ends = [e for e in _records(audit, "escalated") if e["detail"].get("to_tier") == tier + 1]
    else:
        ends = _records(audit, "unacknowledged")
    return min((e["seq"] for e in ends), default=None)


def check_emergency(*, detail: dict[str, Any], audit: list[dict[str, Any]], policy: Policy,
                    kill: Kill, sends: Counter[str]) -> Finding:
    """Everything wrong with one escalation; `sends` counts deliveries per attempt id."""
    found = Finding(detail["id"])
    fail = found.failures.append
    if detail["status"] != "unacknowledged":
        fail(f"ended {detail['status']!r}, not unacknowledged after its last tier")
    pages = [a for a in detail["attempts"] if a["kind"] == "page" and a["round"] == 0]
    by_key = Counter((a["tier"], a["recipient_id"], a["channel"]) for a in pages)
    for key, count in by_key.items():
        if count > 1:
            found.duplicates_unexplained += 1
            fail(f"{count} attempts for one page {key}")
    paged = _records(audit, "tier_paged")
    tiers = len(policy.tiers)
    for tier, staff_id, channel, after_s in policy.expected():
        what = f"tier {tier + 1} {channel} to {staff_id}"
        attempt = next((a for a in pages if (a["tier"], a["recipient_id"], a["channel"])
                        == (tier, staff_id, channel)), None)
        record = next((e for e in paged if e["detail"]["state"]["tier"] == tier
                       and e["detail"]["state"]["round"] == 0
                       and channel in e["detail"].get("channels", [])), None)
        if attempt is None or record is None:
            fail(f"{what}: {'no attempt' if attempt is None else 'no tier_paged record'}")
            continue
        if attempt["outcome"] not in ("sent", "delivered"):
            fail(f"{what}: outcome {attempt['outcome']} ({attempt['error']})")
        end = _tier_end_seq(audit, tier, tiers)
        if end is None or end < record["seq"]:
            fail(f"{what}: its tier advanced before it was paged")
        delivered = sends[attempt["id"]]
        if delivered == 0 and attempt["outcome"] in ("sent", "delivered"):
            fail(f"{what}: recorded sent but never reached the recipient")
        elif delivered > 1:
            explained = attempt["tries"] >= delivered
            found.duplicates_explained += explained
            found.duplicates_unexplained += not explained
            if not explained:
                fail(f"{what}: reached the recipient {delivered} times with tries={attempt['tries']}")
        started = epoch(record["detail"]["state"]["tier_started_at"])
        assert started is not None
        due = started + after_s
        marked = bool(record["detail"].get("late"))
        found.late_steps += marked
        outage = kill.kind in ("worker", "temporal")
        if outage and kill.at <= due < kill.restarted - MARK_SLACK_S and not marked:
            fail(f"{what}: due {due - kill.at:.1f} s into an outage, not marked late")
        if marked and not (outage and due < kill.ready + MARK_SLACK_S):
            found.late_marks_without_outage += 1
        sent = epoch(attempt["sent_at"])
        if outage and sent is not None and sent > kill.at and due < kill.restarted:
            found.delays.append(Delay(kill.kind, "before kill" if due < kill.at else "during outage",
                                      channel, round(sent - kill.restarted, 2), attempt["tries"]))
    _measure_holds(found, paged, policy, kill)
    return found


def _measure_holds(found: Finding, paged: list[dict[str, Any]], policy: Policy, kill: Kill) -> None:
    """How long after the restart each tier advance that the kill held up happened."""
    starts: dict[int, float] = {}
    for record in paged:
        state = record["detail"]["state"]
        if state["round"] == 0 and (at := epoch(state["tier_started_at"])) is not None:
            starts.setdefault(state["tier"], at)
    for tier, (_, ack_s) in enumerate(policy.tiers[:-1]):
        if tier in starts and tier + 1 in starts:
            due, began = starts[tier] + ack_s, starts[tier + 1]
            if kill.kind != "api" and began > kill.at and due < kill.restarted:
                found.holds.append(Delay(kill.kind, "before kill" if due < kill.at
                                         else "during outage", "tier advance",
                                         round(began - kill.restarted, 2), 1))
