"""The escalation policy snapshot an emergency carries in its input.

Snapshotting at start means a later edit to the stored policy never rewrites
an escalation already under way.
"""

from dataclasses import dataclass, field

CHANNELS = ("websocket", "push", "sms", "voice", "email")
TARGET_SELECTORS = ("responders", "charge_nurse", "on_call", "admins", "all_admins")


@dataclass
class ChannelStep:
    channel: str
    after_s: float = 0.0  # sent this long after the tier is paged, if still unacknowledged


@dataclass
class TierSpec:
    name: str
    targets: str  # one of TARGET_SELECTORS, or "staff:<id>"
    ack_timeout_s: float


@dataclass
class PolicySnapshot:
    id: str
    name: str
    version: int
    channels: list[ChannelStep]
    tiers: list[TierSpec]
    repeat_count: int = 0

    def channel_groups(self) -> list[tuple[float, list[str]]]:
        """Channels grouped by delay, soonest first: [(0, [ws, push, sms]), (30, [voice])]."""
        groups: dict[float, list[str]] = {}
        for step in self.channels:
            groups.setdefault(step.after_s, []).append(step.channel)
        return sorted(groups.items())

    def fallback_order(self) -> list[str]:
        """Where a permanently failed channel falls through to: the policy's order, then email."""
        order = [step.channel for step in self.channels]
        return order + ([] if "email" in order else ["email"])


@dataclass
class PolicyInput:
    """The editable form of a policy, as stored and as the API takes it."""

    name: str
    channels: list[ChannelStep] = field(default_factory=list)
    tiers: list[TierSpec] = field(default_factory=list)
    repeat_count: int = 0
