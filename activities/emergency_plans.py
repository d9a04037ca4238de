"""What raising an emergency needs, wherever it is raised (the API, or a monitoring session).

The id comes from the idempotency key, the stored policy is frozen into the
workflow input, and the short code is one no open emergency is using.
"""

from __future__ import annotations

from sqlmodel import col, select

from db.models import Emergency, EscalationPolicy
from db.short_codes import free_short_code
from workflows.emergency_types import OPEN
from workflows.policy import ChannelStep, PolicySnapshot, TierSpec


EMERGENCY_ID_PREFIX = "emergency-"


def workflow_id_for(idempotency_key: str) -> str:
    """The idempotency key maps to the workflow id, so one key can only ever start one."""
    return f"{EMERGENCY_ID_PREFIX}{idempotency_key}"


def snapshot(policy: EscalationPolicy) -> PolicySnapshot:
    """Freeze a stored policy into the workflow input."""
    return PolicySnapshot(
        id=policy.id, name=policy.name, version=policy.version,
        channels=[ChannelStep(**step) for step in policy.channels],
        tiers=[TierSpec(**tier) for tier in policy.tiers], repeat_count=policy.repeat_count,
    )


def short_code() -> str:
    """A four-digit code no open emergency is using."""
    return free_short_code(select(Emergency.short_code).where(col(Emergency.status).in_(OPEN)))
