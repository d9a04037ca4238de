"""Inputs, state and messages of EmergencyEscalationWorkflow: one dataclass each."""

from dataclasses import dataclass, field
from typing import Any

from workflows.paging_types import OpenAttempt
from workflows.policy import PolicySnapshot

OPEN = ("active", "acknowledged", "unacknowledged")
CLOSED = ("resolved", "cancelled")


@dataclass
class Target:
    staff_id: str
    name: str
    role: str
    provider_type: str | None = None
    distance_m: float | None = None


@dataclass
class EmergencyState:
    status: str = "active"
    round: int = 0
    tier: int = 0
    tier_started_at: float | None = None  # epoch seconds; None = this tier not yet paged
    steps_sent: int = 0  # how many channel groups of this tier have gone out
    targets: list[Target] = field(default_factory=list)  # of the current tier
    paged: dict[str, str] = field(default_factory=dict)  # staff id -> name, everyone ever paged
    owner_id: str | None = None
    owner_name: str | None = None
    acknowledged_at: float | None = None
    acknowledged_via: str | None = None
    outcome: str | None = None
    cancel_reason: str | None = None
    handovers: int = 0
    extra_pages: int = 0  # escalate-now and exhaustion pages, to keep attempt ids unique


@dataclass
class EmergencyInput:
    emergency_id: str
    idempotency_key: str
    type: str
    severity: str
    patient_id: str
    facility_id: str
    location: dict[str, Any]
    short_code: str
    policy: PolicySnapshot
    created_by: str
    description: str = ""
    type_detail: str | None = None
    required_specialisations: list[str] = field(default_factory=list)
    vitals: dict[str, Any] | None = None
    # Tier 1's people as the API looked them up when it started the emergency (None: the
    # workflow looks them up itself, as runs started before this field did).
    first_tier_targets: list[Target] | None = None
    carried: EmergencyState | None = None  # set when the workflow continues as new
    carried_attempts: list[OpenAttempt] = field(default_factory=list)  # and its open pages
    # Continue as new past this many history events (Temporal warns at 10,240), or
    # sooner if Temporal suggests it; small values let tests force the switch.
    history_limit: int = 8_000


@dataclass
class Actor:
    """Who sends a command, as the API authenticated them."""

    staff_id: str
    name: str
    is_admin: bool = False


@dataclass
class AcknowledgeInput:
    actor: Actor
    via: str = "web"  # web, websocket, push, sms, voice, email


@dataclass
class AcknowledgeResult:
    owner_id: str
    owner_name: str
    acknowledged_at: float


@dataclass
class ResolveInput:
    actor: Actor
    outcome: str


@dataclass
class CancelInput:
    actor: Actor
    reason: str


@dataclass
class HandOverInput:
    actor: Actor
    to_staff_id: str
    to_name: str
    note: str = ""


@dataclass
class EscalateInput:
    actor: Actor
    reason: str = ""


@dataclass
class CommandResult:
    status: str
    owner_id: str | None = None
    owner_name: str | None = None
