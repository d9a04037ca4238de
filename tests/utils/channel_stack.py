"""A second Vigil stack whose SMS, voice, email and push go, through the real libraries, to fakes.

The fake Twilio, SendGrid and FCM servers run in the test process; the stack's
worker and API are told their URLs and credentials through the environment,
exactly as a deployment would be. The stack believes it is reachable at
PUBLIC_URL (as if behind a proxy), so providers sign, and links point at, that
address; the tests post to the real port with signatures over the public one.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from temporalio.client import Client
from twilio.request_validator import RequestValidator

from cli.stack import Stack
from db.engine import writing
from db.models import DeliveryAttempt, Facility, Staff
from tests.fakes.fcm_fake import PROJECT_ID, FcmFake, service_account_info, start_fcm_fake
from tests.fakes.sendgrid_fake import API_KEY, SendGridFake, start_sendgrid_fake
from tests.fakes.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, TwilioFake, start_twilio_fake
from tests.utils.api import as_user, emergency_body, fast_policy
from tests.utils.records import attempts, audit_entry
from tests.utils.waiting import eventually

PUBLIC_URL = "https://vigil-channels.example"
FROM_NUMBER = "+15550001111"
SENDER = "pager@vigil.example"


@dataclass
class ChannelStack:
    stack: Stack
    twilio: TwilioFake
    sendgrid: SendGridFake
    fcm: FcmFake
    event_key: ec.EllipticCurvePrivateKey  # SendGrid's side of the signed event webhook
    temporal_address: str

    def http(self) -> httpx.AsyncClient:
        """A plain client for the provider-facing routes (no bearer token)."""
        return httpx.AsyncClient(base_url=self.stack.api_url, timeout=30)

    async def twilio_post(self, path: str, params: dict[str, str], *,
                          signature: str | None = "valid") -> httpx.Response:
        """POST as Twilio would: form body, X-Twilio-Signature over the public URL."""
        headers = {}
        if signature == "valid":
            signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        async with self.http() as client:
            return await client.post(path, data=params, headers=headers)

    async def sendgrid_post(self, events: list[dict[str, Any]], *,
                            key: ec.EllipticCurvePrivateKey | None = None,
                            timestamp: int | None = None, signed: bool = True) -> httpx.Response:
        """POST as SendGrid's signed Event Webhook would."""
        payload = json.dumps(events).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = (key or self.event_key).sign(stamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["X-Twilio-Email-Event-Webhook-Signature"] = base64.b64encode(signature).decode()
            headers["X-Twilio-Email-Event-Webhook-Timestamp"] = stamp
        async with self.http() as client:
            return await client.post("/webhooks/sendgrid/events", content=payload, headers=headers)


@contextmanager
def running_channel_stack(*, database_url: str, temporal_address: str,
                          logs: Path) -> Iterator[ChannelStack]:
    """Fakes in this process, a worker and an API (own task queues) pointed at them."""
    with ExitStack() as fakes:
        twilio = fakes.enter_context(start_twilio_fake())
        sendgrid = fakes.enter_context(start_sendgrid_fake())
        fcm = fakes.enter_context(start_fcm_fake())
        key = ec.generate_private_key(ec.SECP256R1())
        public_key = key.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        credentials = logs / "channels-firebase.json"
        credentials.write_text(json.dumps(service_account_info(fcm.token_uri)))
        stack = Stack(database_url=database_url, temporal_address=temporal_address, logs=logs,
                      name="channels", env={
            "VIGIL_PUBLIC_BASE_URL": PUBLIC_URL, "VIGIL_FORBID_DB_ON_EVENT_LOOP": "1",
            "VIGIL_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "VIGIL_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "VIGIL_TWILIO_FROM_NUMBER": FROM_NUMBER, "VIGIL_TWILIO_BASE_URL": twilio.url,
            "VIGIL_SENDGRID_API_KEY": API_KEY, "VIGIL_SENDGRID_SENDER": SENDER,
            "VIGIL_SENDGRID_BASE_URL": sendgrid.url,
            "VIGIL_SENDGRID_WEBHOOK_PUBLIC_KEY": base64.b64encode(public_key).decode(),
            "VIGIL_FIREBASE_CREDENTIALS_FILE": str(credentials),
            "VIGIL_FIREBASE_PROJECT_ID": PROJECT_ID, "VIGIL_FCM_BASE_URL": fcm.url,
        })
        stack.start()
        try:
            yield ChannelStack(stack, twilio, sendgrid, fcm, key, temporal_address)
        finally:
            stack.stop()


def make_ward(languages: list[str]) -> tuple[str, list[Staff]]:
    """A fresh facility with one on-call, emergency-capable responder per language.

    Fresh people with fresh numbers: "ACK" alone means "my one open page", so no
    other test's emergencies may be open for them.
    """
    tag = uuid.uuid4().hex[:8]
    facility = Facility(id=f"ward-{tag}", name=f"Ward {tag} Hospital", latitude=3.0, longitude=101.0)
    people = [
        Staff(id=f"resp-{tag}-{n}", name=f"Responder {n} {tag}", role="provider",
              provider_type="emergency", facility_id=facility.id, on_call=True,
              emergency_capable=True, phone=f"+1555{uuid.uuid4().int % 10**7:07d}",
              email=f"resp-{tag}-{n}@hospital.example", push_token=f"fcm-{tag}-{n}",
              language=language, latitude=3.0, longitude=101.0 + n / 1000)
        for n, language in enumerate(languages)
    ]
    with writing() as session:
        for row in (facility, *people):
            session.add(row.model_copy())
    return facility.id, people


@dataclass
class Scene:
    """One emergency raised on the channel stack, with the people it pages."""

    emergency_id: str
    short_code: str
    people: list[Staff]
    admin: httpx.AsyncClient


@asynccontextmanager
async def emergency_paging(channels: ChannelStack, languages: list[str],
                           steps: list[dict[str, Any]], *, severity: str = "critical",
                           tier_timeout_s: float = 120, ward: tuple[str, list[Staff]] | None = None,
                           tiers: list[dict[str, Any]] | None = None) -> AsyncIterator[Scene]:
    """Raise an emergency at a fresh ward (or `ward`) on a one-tier policy of `steps`.

    It is cancelled afterwards, and its workflow waited for.
    """
    facility_id, people = ward or make_ward(languages)
    async with as_user(channels.stack.api_url, "admin-raj", "admin") as admin:
        policy = await fast_policy(admin, channels=steps, tiers=tiers or [
            {"name": "responders", "targets": "responders", "ack_timeout_s": tier_timeout_s}])
        body = emergency_body(severity=severity, policy_id=policy, description="Jane Doe, sepsis",
                              location={"facility_id": facility_id, "department": "Ward 5B",
                                        "room": "12", "floor": "5"})
        response = await admin.post("/emergencies", json=body)
        assert response.status_code == 201, response.text
        raised = response.json()
        await eventually(lambda: audit_entry(raised["id"], "emergency.tier_paged"),
                         what="the first channels sent")
        try:
            yield Scene(raised["id"], raised["short_code"], people, admin)
        finally:
            await admin.post(f"/emergencies/{raised['id']}/cancel", json={"reason": "test over"})
            # The fakes are shared: let this emergency's last notices go out before the next
            # test queues provider failures for its own.
            temporal = await Client.connect(channels.temporal_address)
            await asyncio.wait_for(temporal.get_workflow_handle(raised["id"]).result(), 60)


async def accepted(emergency_id: str, staff_id: str, channel: str) -> DeliveryAttempt:
    """The attempt once the provider has accepted it (it has a provider message id)."""
    def probe() -> DeliveryAttempt | None:
        done = [a for a in attempts(emergency_id, recipient_id=staff_id, channel=channel)
                if a.provider_message_id and a.outcome != "sending"]
        return done[0] if done else None
    return await eventually(probe, what=f"{channel} to {staff_id} accepted by the provider")
