"""Inputs, messages and the backoff rule of WebhookDeliveryWorkflow: one dataclass each."""

import random
from dataclasses import dataclass, field
from datetime import datetime

WAKE_SIGNAL = "wake"


def workflow_id_for(endpoint_id: str) -> str:
    return f"webhook-endpoint-{endpoint_id}"


@dataclass
class RetrySchedule:
    """Exponential from `initial_s` up to `max_s` between tries, for `window_s` after the event."""

    initial_s: float = 5.0
    max_s: float = 86_400.0
    window_s: float = 3 * 86_400.0


def backoff_s(attempt: int, schedule: RetrySchedule, rand: random.Random,
              retry_after_s: float | None = None) -> float:
    """How long to wait after failed try number `attempt` (1, 2, ...).

    Doubling from `initial_s`, capped at `max_s`, with "equal jitter" (a random half of the
    step) so receivers that failed together are not retried together. A receiver's
    `Retry-After` (429, 503) is honoured as given, within [initial_s, max_s].
    """
    if retry_after_s is not None:
        return min(max(retry_after_s, schedule.initial_s), schedule.max_s)
    step = min(schedule.initial_s * 2 ** min(attempt - 1, 60), schedule.max_s)
    return step / 2 + rand.uniform(0, step / 2)


@dataclass
class WebhookDeliveryInput:
    endpoint_id: str
    poll_interval_s: float = 60.0  # how often an idle endpoint looks anyway (the safety net)
    # Continue as new past this many history events (Temporal warns at 10,240), or sooner if
    # Temporal suggests it; small values let tests force the switch.
    history_limit: int = 5_000
    delivered: int = 0  # carried across continue-as-new, for the progress query
    failed: int = 0


@dataclass
class OutboxQuery:
    endpoint_id: str
    limit: int = 50


@dataclass
class PendingDelivery:
    seq: int
    webhook_id: str
    event_type: str
    occurred_at: datetime  # where its retry window starts: the event, or its latest replay


@dataclass
class OutboxBatch:
    enabled: bool  # False: the endpoint is disabled or gone, and the workflow ends
    retry: RetrySchedule = field(default_factory=RetrySchedule)
    pending: list[PendingDelivery] = field(default_factory=list)
    # The worker's VIGIL_WEBHOOK_POLL_INTERVAL_S now, so a running workflow (whose input keeps
    # the interval it started with, across continue-as-new) polls as the deployment says.
    # None in results recorded before it existed: the input's interval.
    poll_interval_s: float | None = None


@dataclass
class SendRequest:
    endpoint_id: str
    seq: int
    attempt: int
    scheduled_at: datetime  # workflow time of this try


@dataclass
class SendBatch:
    """First tries of several events, sent one after another in order, until one is not delivered."""

    endpoint_id: str
    seqs: list[int]
    scheduled_at: datetime  # workflow time of the batch
    budget_s: float = 10.0  # no new request is started after this long; the rest wait for the next


@dataclass
class SendOutcome:
    # delivered (2xx), retry (anything else worth another try), gone (410: endpoint disabled),
    # disabled (the endpoint was switched off), refused (can never be sent: a bad payload)
    outcome: str
    status_code: int | None = None
    retry_after_s: float | None = None
    error: str | None = None


@dataclass
class BatchOutcome:
    delivered: int  # how many of the batch's events, from the first, were delivered
    # The try that stopped the batch (event number `delivered` in it); None if every event was
    # delivered or the budget ran out first.
    stopped: SendOutcome | None = None


@dataclass
class GiveUp:
    endpoint_id: str
    seq: int
    reason: str


@dataclass
class WebhookProgress:
    endpoint_id: str
    delivered: int = 0
    failed: int = 0
    current_seq: int | None = None
    current_attempt: int = 0
    waits_s: list[float] = field(default_factory=list)  # the latest waits between tries
