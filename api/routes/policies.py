"""Escalation policies. Editing one never changes an emergency already under way."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session, col, select

from api.deps import Admin, Staff
from api.errors import ERROR_RESPONSES, VigilError, not_found
from typing import Any

from services.policies import tier_warnings
from services.schemas.directory import PolicyCreate, PolicyIn, PolicyPublic
from audit.chain import append as audit
from db.engine import reading, writing
from db.models import EscalationPolicy, OnCallSchedule, utcnow

router = APIRouter(prefix="/policies", tags=["policies"], responses=ERROR_RESPONSES)


def _take_default(session: Session, severity: str | None, policy_id: str) -> None:
    """A severity has at most one default policy: the newest one named for it."""
    if severity is None:
        return
    for other in session.exec(select(EscalationPolicy).where(
            EscalationPolicy.severity == severity, EscalationPolicy.id != policy_id)).all():
        other.severity = None
        session.add(other)


def _check_schedules(session: Session, body: PolicyIn) -> None:
    """A tier naming schedule:<id> must name a schedule that exists."""
    for n, tier in enumerate(body.tiers):
        schedule_id = tier.targets.removeprefix("schedule:")
        if schedule_id != tier.targets and session.get(OnCallSchedule, schedule_id) is None:
            field = f"body.tiers.{n}.targets"
            raise VigilError(422, "unknown_schedule", f"{field}: no schedule {schedule_id!r}",
                             [{"field": field, "message": f"no schedule {schedule_id!r}"}])


@router.get("", response_model=list[PolicyPublic])
def list_policies(user: Staff) -> list[EscalationPolicy]:
    """Every policy."""
    with reading() as session:
        return list(session.exec(select(EscalationPolicy).order_by(col(EscalationPolicy.id))).all())


@router.get("/{policy_id}", response_model=PolicyPublic)
def read_policy(policy_id: str, user: Staff) -> EscalationPolicy:
    """One policy."""
    with reading() as session:
        policy = session.get(EscalationPolicy, policy_id)
    if policy is None:
        raise not_found("policy", policy_id)
    return policy


@router.post("", status_code=201, response_model=PolicyPublic)
def create_policy(body: PolicyCreate, user: Admin) -> dict[str, Any]:
    """Create a policy (optionally the default for a severity); warns of tiers paging nobody."""
    warnings = tier_warnings(body)
    with writing() as session:
        if session.get(EscalationPolicy, body.id):
            raise VigilError(409, "already_exists", f"Policy {body.id!r} already exists.")
        _check_schedules(session, body)
        _take_default(session, body.severity, body.id)
        policy = EscalationPolicy(**body.model_dump())
        session.add(policy)
        audit(session, actor=user.sub, action="policy.created", subject=body.id,
              detail=body.model_dump())
    return {**policy.model_dump(), "warnings": warnings}


@router.put("/{policy_id}", response_model=PolicyPublic)
def replace_policy(policy_id: str, body: PolicyIn, user: Admin) -> dict[str, Any]:
    """Replace a policy; its version goes up. Emergencies under way keep their snapshot."""
    warnings = tier_warnings(body)
    with writing() as session:
        policy = session.get(EscalationPolicy, policy_id)
        if policy is None:
            raise not_found("policy", policy_id)
        _check_schedules(session, body)
        _take_default(session, body.severity, policy_id)
        for name, value in body.model_dump().items():
            setattr(policy, name, value)
        policy.version += 1
        policy.updated_at = utcnow()
        session.add(policy)
        audit(session, actor=user.sub, action="policy.replaced", subject=policy_id,
              detail={**body.model_dump(), "version": policy.version})
    return {**policy.model_dump(), "warnings": warnings}
