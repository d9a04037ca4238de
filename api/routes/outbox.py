"""The local outbox: what SMS, voice, email and push would have sent without credentials."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select

from api.deps import Reviewer
from api.errors import ERROR_RESPONSES
from services.schemas.emergencies import Utc
from db.engine import reading
from db.models import OutboxMessage

router = APIRouter(prefix="/outbox", tags=["outbox"], responses=ERROR_RESPONSES)


class OutboxPublic(BaseModel):
    id: int
    attempt_id: str
    channel: str
    recipient_id: str
    address: str | None
    text: str
    created_at: Utc


@router.get("", response_model=list[OutboxPublic])
def list_outbox(user: Reviewer, channel: str | None = None, recipient_id: str | None = None,
                subject_id: str | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[OutboxMessage]:
    """Newest first; filter by channel, recipient or emergency."""
    query = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    if recipient_id:
        query = query.where(OutboxMessage.recipient_id == recipient_id)
    if subject_id:
        query = query.where(col(OutboxMessage.attempt_id).startswith(f"{subject_id}/"))
    with reading() as session:
        return list(session.exec(query).all())
