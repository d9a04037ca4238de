"""The staff app's WebSocket: alerts the moment they are sent, receipts and acks back.

Frames from the server: {"type": "event", "id", "kind", "payload", ...} for each
event in the staff member's inbox (resumed after `last_event_id`; without one,
the pages about emergencies and sessions still open and, for a patient, one event
per dose of theirs still open; for a caregiver, their pages about missed doses they
may still confirm late: services/open_doses.py), {"type": "notice", "code",
"message", "last_event_id"} when the stream is not what was asked for (a resume
id ahead of the log starts from now), and {"type": "result", "ref", "ok",
"code", "message", ...} answering a client frame.
Frames from the client: {"type": "receipt", "attempt_id"},
{"type": "ack", "emergency_id", "ref"}, {"type": "ping"}, and from a patient's
app (or a caregiver's, on the patient's behalf) {"type": "confirm", "schedule_id",
"dose_id", "outcome": "taken"|"skipped", "reason", "ref"}, answered with the
schedule's own word (taken, late, skipped) or the reason it refused.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from functools import partial
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from pydantic import ValidationError

from api.auth import STAFF_ROLES, Principal, decode_token
from services.emergencies import actor_for, run_command
from api.errors import VigilError, error_json
from api.limits import Limits
from api.metrics import LIVE_CLIENTS, LIVE_EVENTS_SENT, RECEIPTS
from services.presence import socket_closed, socket_opened
from services.receipts import record_receipt
from api.streams import notice_body, resume_point
from events.hub import Notice, latest_id
from services.dose_confirmations import confirm_dose
from services.inbox import opening_for, owns_inbox
from services.schemas.medication import ConfirmFrame
from events.topics import staff_topic
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.emergency_types import AcknowledgeInput

router = APIRouter(tags=["websocket"])


def _authenticate(websocket: WebSocket, token: str | None) -> Principal:
    header = websocket.headers.get("authorization", "")
    raw = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else token
    if not raw:
        raise VigilError(401, "not_authenticated", "Send a token.")
    principal = decode_token(raw)
    # Patients and family connect too: to their own inbox, nothing else.
    if not principal.has_any((*STAFF_ROLES, "patient", "family")):
        raise VigilError(403, "forbidden", "Staff, patients and family only.")
    return principal


async def _answer(websocket: WebSocket, user: Principal, frame: dict[str, Any]) -> dict[str, Any]:
    kind = frame.get("type")
    if kind == "ping":
        return {"type": "pong"}
    if kind == "receipt":
        await asyncio.to_thread(partial(record_receipt, attempt_id=str(frame.get("attempt_id")),
                                        staff_id=user.sub, channel="websocket"))
        RECEIPTS.labels(channel="websocket").inc()
        return {"type": "result", "ok": True}
    if kind == "ack":
        if not user.has_any(("provider", "coordinator", "admin")):
            raise VigilError(403, "forbidden", "Only responders acknowledge emergencies.")
        client = websocket.app.state.temporal
        if client is None:
            raise VigilError(503, "temporal_unavailable", "The workflow engine is not reachable yet.")
        result = await run_command(
            client=client, emergency_id=str(frame.get("emergency_id")),
            update=EmergencyEscalationWorkflow.acknowledge,
            arg=AcknowledgeInput(actor=await actor_for(user), via="websocket"))
        return {"type": "result", "ok": True, "owner_id": result.owner_id,
                "owner_name": result.owner_name}
    if kind == "confirm":
        return await _confirm(websocket, user, frame)
    raise VigilError(400, "unknown_frame", "Frames are receipt, ack, confirm or ping.")


async def _confirm(websocket: WebSocket, user: Principal, frame: dict[str, Any]) -> dict[str, Any]:
    """A dose taken or skipped, from the app: the same confirmation the API route sends."""
    try:
        body = ConfirmFrame.model_validate({k: v for k, v in frame.items()
                                            if k not in ("type", "ref")})
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise VigilError(422, "invalid_frame", f"{field}: {first['msg']}", {"field": field})
    result = await confirm_dose(client=websocket.app.state.temporal, user=user,
                                schedule_id=body.schedule_id, dose_id=body.dose_id,
                                outcome=body.outcome, reason=body.reason, via="websocket")
    return {"type": "result", "ok": True, "dose_id": result.dose_id, "outcome": result.outcome,
            "message": result.message,
            "next_dose_at": result.next_dose_at.isoformat() if result.next_dose_at else None}


@router.websocket("/ws")
async def staff_socket(websocket: WebSocket, token: str | None = None,
                       last_event_id: str | None = None) -> None:
    """Authenticate with ?token= (or an Authorization header); resume with ?last_event_id=."""
    limits = websocket.app.state.limits
    try:
        user = _authenticate(websocket, token)
        after = resume_point(last_event_id)
        if not await asyncio.to_thread(owns_inbox, user):
            raise VigilError(403, "forbidden", "This token names nobody of its kind here.")
    except VigilError:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    try:
        limits.open_socket(user.sub)
    except VigilError as refusal:  # answered at the handshake: 429 with Retry-After
        retry = {"Retry-After": str(refusal.details["retry_after_s"])}
        await websocket.send_denial_response(
            error_json(refusal.status, refusal.code, refusal.message, refusal.details, retry))
        return
    try:
        await _serve(websocket, user, after, limits)
    finally:
        limits.close_socket(user.sub)


async def _serve(websocket: WebSocket, user: Principal, after: int | None, limits: Limits) -> None:
    opened_at = await asyncio.to_thread(latest_id)  # what came after this is the client's
    await websocket.accept()
    socket_key = uuid.uuid4().hex
    hub = websocket.app.state.hub
    LIVE_CLIENTS.labels(kind="websocket").inc()

    async def push_events() -> None:
        opening = opening_for(user)
        async for item in hub.stream([staff_topic(user.sub)], after, opening=opening,
                                     opened_at=opened_at):
            if isinstance(item, Notice):
                await websocket.send_json({"type": "notice", **notice_body(item)})
                continue
            await websocket.send_json({"type": "event", **item})
            LIVE_EVENTS_SENT.labels(kind="websocket").inc()

    await asyncio.to_thread(socket_opened, socket_key, user.sub)
    # Its row is kept fresh with this process's other open sockets: someone with it open
    # is not offline.
    open_sockets = websocket.app.state.open_sockets
    open_sockets.add(socket_key)
    pusher = asyncio.create_task(push_events())
    try:
        while True:
            text = await websocket.receive_text()
            try:
                frame = json.loads(text)
            except ValueError:
                frame = None
            ref = frame.get("ref") if isinstance(frame, dict) else None
            try:
                if not (isinstance(frame, dict) and frame.get("type") in ("ack", "confirm")):
                    # an acknowledgement or a dose's confirmation is never refused
                    await limits.allow_frame(socket_key)
                if not isinstance(frame, dict):
                    raise VigilError(400, "invalid_frame", "A frame is a JSON object.")
                reply = await _answer(websocket, user, frame)
            except VigilError as error:
                reply = {"type": "result", "ok": False, "code": error.code,
                         "message": error.message, "details": error.details}
            await websocket.send_json({**reply, "ref": ref})
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        pusher.cancel()
        open_sockets.discard(socket_key)
        LIVE_CLIENTS.labels(kind="websocket").dec()
        await asyncio.to_thread(socket_closed, socket_key)
