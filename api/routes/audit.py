"""The audit log: read it, verify its chain, checkpoint its head."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import col, select

from api.deps import Reviewer
from api.errors import ERROR_RESPONSES
from audit.chain import append as audit
from audit.chain import verify
from audit.checkpointing import take_checkpoint
from db.engine import reading, writing
from db.models import AuditEntry

router = APIRouter(prefix="/audit", tags=["audit"], responses=ERROR_RESPONSES)


@router.get("/verify")
def verify_chain(user: Reviewer) -> dict[str, Any]:
    """Walk the whole chain and its checkpoints; every break and truncation is reported."""
    with reading() as session:
        return verify(session).as_dict()


@router.post("/checkpoints")
def checkpoint_chain(user: Reviewer) -> dict[str, Any]:
    """Verify the chain and sign its head into the checkpoint store (only if it verifies)."""
    report, checkpoint = take_checkpoint()
    return {"checkpoint": checkpoint.as_dict() if checkpoint else None,
            "verification": report.as_dict()}


@router.get("", response_model=list[AuditEntry])
def list_entries(user: Reviewer, subject: str | None = None, action: str | None = None,
                 after_seq: int = 0,
                 limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[AuditEntry]:
    """Entries in chain order, by subject or action (the read itself is audited)."""
    query = select(AuditEntry).where(col(AuditEntry.seq) > after_seq)
    if subject:
        query = query.where(AuditEntry.subject == subject)
    if action:
        query = query.where(col(AuditEntry.action).startswith(action))
    with reading() as session:
        rows = list(session.exec(query.order_by(col(AuditEntry.seq)).limit(limit)).all())
    with writing() as session:
        audit(session, actor=user.sub, action="audit.read", subject=subject or "*",
              detail={"action": action, "after_seq": after_seq, "returned": len(rows)})
    return rows
