"""One endpoint made ready once for a run of tries: its row, its secrets, its checked address.

A batch sends up to 100 events to one endpoint within seconds. Reading the
endpoint, decrypting its secrets and resolving and checking its URL once for
all of them, not once a try, is most of what a try costs besides its request
and its record. The check still governs every request: each one connects to
the address the check approved, never to a fresh DNS answer, so a host that
resolves somewhere private in the meantime cannot redirect it. The endpoint
is read again with every group of records (`refresh`): a URL changed in the
meantime is checked again, a changed secret decrypted, and a disabled
endpoint gets no further request.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from activities.webhook_payloads import body as render_body
from channels import webhook_http
from channels.webhook_addresses import Target, UnsafeWebhookUrl, check_url
from channels.webhook_http import Answer
from channels.webhook_secrets import decrypt, signature_header
from db.models import WebhookDelivery, WebhookEndpoint, as_utc
from settings import Settings
from workflows.webhook_delivery_types import SendOutcome

RETRY_LATER_STATUSES = (429, 503)  # the receiver may say when, in Retry-After


def classify(answer: Answer) -> str:
    """delivered for 2xx, gone for 410, retry for everything else (3xx included)."""
    if answer.status_code is not None and 200 <= answer.status_code < 300:
        return "delivered"
    if answer.status_code == 410:
        return "gone"
    return "retry"


@dataclass
class Tried:
    """One try made (a request sent, or refused before sending), its record perhaps not yet written."""

    endpoint_id: str
    seq: int
    webhook_id: str
    event_type: str
    attempt: int
    outcome: str  # delivered, retry, gone, refused
    answer: Answer
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def error(self) -> str | None:
        answer = self.answer
        if answer.error is None and self.outcome != "delivered":
            return f"HTTP {answer.status_code}: {answer.body[:200]}".strip()
        return answer.error

    def result(self) -> SendOutcome:
        answer = self.answer
        return SendOutcome(self.outcome, answer.status_code,
                           answer.retry_after_s if answer.status_code in RETRY_LATER_STATUSES
                           else None, self.error)


class EndpointSender:
    """Signs and sends one endpoint's events over one HTTP client (its connection kept)."""

    def __init__(self, settings: Settings, endpoint: WebhookEndpoint | None,
                 http: httpx.Client | None = None) -> None:
        self.settings, self.http = settings, http
        self._plain: dict[str, str] = {}  # decrypted secrets by their ciphertext
        self._checked_url: str | None = None
        self._target: Target | None = None
        self._unsafe = ""
        self.refresh(endpoint)

    def refresh(self, endpoint: WebhookEndpoint | None) -> None:
        """The endpoint as it is now; its URL is checked again only if it changed."""
        self.endpoint = endpoint
        if endpoint is None or endpoint.url == self._checked_url:
            return
        self._checked_url = endpoint.url
        try:
            self._target, self._unsafe = check_url(endpoint.url, dev_mode=self.settings.dev_mode), ""
        except UnsafeWebhookUrl as error:
            self._target, self._unsafe = None, str(error)

    def send(self, delivery: WebhookDelivery | None, attempt: int) -> Tried | SendOutcome:
        """One try of one event; a SendOutcome when there is nothing to send or record."""
        endpoint = self.endpoint
        if endpoint is None or not endpoint.enabled:
            return SendOutcome("disabled", error="the endpoint is disabled")
        if delivery is None or delivery.status != "pending" or delivery.seq is None:
            return SendOutcome("delivered")  # settled by an earlier try whose answer was lost

        def tried(outcome: str, answer: Answer) -> Tried:
            return Tried(endpoint.id, delivery.seq or 0, delivery.webhook_id, delivery.event_type,
                         attempt, outcome, answer)

        try:
            text = json.dumps(render_body(delivery, endpoint.payload), separators=(",", ":"))
        except ValueError as error:
            return tried("refused", Answer(None, 0.0, error=str(error)))
        if self._target is None:
            return tried("retry", Answer(None, 0.0, error=f"refused: {self._unsafe}"))
        now = datetime.now(timezone.utc)
        headers = {"webhook-id": delivery.webhook_id,
                   "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": signature_header(self._secrets(endpoint, now),
                                                         delivery.webhook_id, now, text),
                   "user-agent": "Vigil-Webhooks/1"}
        answer = webhook_http.post(self._target, text, headers,
                                   timeout_s=self.settings.webhook_timeout_s,
                                   max_bytes=self.settings.webhook_max_response_bytes,
                                   using=self.http)
        return tried(classify(answer), answer)

    def _secrets(self, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
        """The current secret, and the previous one while the rotation overlap lasts."""
        found = [self._decrypted(endpoint.secret_encrypted)]
        until = as_utc(endpoint.previous_secret_expires_at)
        if endpoint.previous_secret_encrypted and until and until > now:
            found.append(self._decrypted(endpoint.previous_secret_encrypted))
        return found

    def _decrypted(self, token: str) -> str:
        if token not in self._plain:
            self._plain[token] = decrypt(token, self.settings)
        return self._plain[token]
