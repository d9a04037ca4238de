"""Live, less detailed updates for a patient's authorised family (and the patient).

Who may listen, and to what, comes from the consent records (services/consent.py),
never from the token: `emergencies` scope hears the patient's emergency status,
`monitoring` the sessions that name them as a family viewer, `appointments`
the patient's appointment news in plain words. A caregiver's stream
re-checks their consent before every event, and a revocation wakes it: the stream
says `consent_revoked` and closes, so nothing more reaches them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from sse_starlette.sse import EventSourceResponse

from api.deps import CurrentUser, HubDep
from api.errors import ERROR_RESPONSES
from api.metrics import LIVE_CLIENTS, LIVE_EVENTS_SENT
from api.streams import resume_point, sse_events
from audit.chain import append as audit
from db.engine import writing
from events.hub import EventHub
from events.topics import consent_topic
from services.consent import Access, access_to, require_consent
from services.family_view import UPDATE_SCOPES, update_topics
from services.principal import Principal

router = APIRouter(prefix="/patients", tags=["family"], responses=ERROR_RESPONSES)


def _opened(principal: Principal, patient_id: str, scopes: frozenset[str]) -> None:
    with writing() as session:
        audit(session, actor=principal.sub, action="patient_data.read", subject=patient_id,
              detail={"what": "updates", "scopes": sorted(scopes)})


@router.get("/{patient_id}/updates")
async def family_updates(patient_id: str, user: CurrentUser, hub: HubDep, request: Request,
                         last_event_id: Annotated[str | None, Header()] = None) -> EventSourceResponse:
    """Short status updates for one patient: for care staff, the patient, and caregivers whose
    consent in force covers emergencies, monitoring or appointments (opening the stream is
    audited)."""
    access = await asyncio.to_thread(require_consent, user, patient_id, UPDATE_SCOPES)
    after = resume_point(last_event_id)
    await asyncio.to_thread(_opened, user, patient_id, access.scopes)
    topics = update_topics(patient_id, user.sub, access)
    if access.who != "caregiver":
        return await sse_events(hub, list(topics), last_event_id, request)
    return EventSourceResponse(_while_consented(hub, request, user, patient_id, topics, after),
                               ping=15)


async def _while_consented(hub: EventHub, request: Request, user: Principal, patient_id: str,
                           topics: dict[str, str], after: int) -> AsyncIterator[dict[str, Any]]:
    """The caregiver's events, each sent only if their consent still covers it."""
    LIVE_CLIENTS.labels(kind="sse").inc()
    wake = consent_topic(patient_id, user.sub)
    try:
        async for event in hub.stream([*topics, wake], after):
            if await request.is_disconnected():
                break
            access = await asyncio.to_thread(access_to, user, patient_id)
            if access is None or not access.scopes & set(UPDATE_SCOPES):
                yield {"event": "consent_revoked",
                       "data": json.dumps({"patient_id": patient_id, "topic": wake})}
                break
            if not _covered(event, topics, access):
                continue
            LIVE_EVENTS_SENT.labels(kind="sse").inc()
            yield {"id": str(event["id"]), "event": event["kind"], "data": json.dumps(event)}
    finally:
        LIVE_CLIENTS.labels(kind="sse").dec()


def _covered(event: dict[str, Any], topics: dict[str, str], access: Access) -> bool:
    """In a scope still granted, and from after the grant (consent is not retroactive)."""
    scope = topics.get(event["topic"])
    if scope is None or scope not in access.scopes:
        return False
    return access.since is None or datetime.fromisoformat(event["created_at"]) >= access.since
