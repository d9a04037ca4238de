"""Escalation policies as they are saved: every tier must be able to page someone.

A tier naming one person (`staff:<id>`) who is not in the directory can never
page anyone: it is refused (as a `schedule:<id>` naming no schedule is, by the
route). The other selectors, schedules included, depend on the facility and on
who is on call when an emergency starts, which changes every shift, so a tier
that matches nobody at any facility right now is saved with a warning instead.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from activities.directory import TargetQuery, find_targets
from audit.chain import append as audit
from db.engine import reading, writing
from db.models import EscalationPolicy, Facility, OnCallSchedule, Staff, utcnow
from services.errors import VigilError, not_found
from services.schemas.directory import PolicyCreate, PolicyIn


def tier_warnings(body: PolicyIn) -> list[str]:
    """Refuse a tier naming nobody who exists; warn of tiers that would page nobody now."""
    with reading() as session:
        facilities = list(session.exec(select(Facility.id)).all())
        named = {t.targets.removeprefix("staff:") for t in body.tiers
                 if t.targets.startswith("staff:")}
        known = {s.id for s in session.exec(select(Staff).where(Staff.id.in_(named))).all()}  # type: ignore[attr-defined]
    warnings = []
    for index, tier in enumerate(body.tiers):
        field = f"tiers[{index}].targets"
        if tier.targets.startswith("staff:"):
            if tier.targets.removeprefix("staff:") not in known:
                message = (f"no staff member {tier.targets.removeprefix('staff:')!r}; this "
                           "tier would page nobody")
                raise VigilError(422, "unknown_staff", f"{field}: {message}",
                                 [{"field": field, "message": message}])
        elif not any(find_targets(TargetQuery(tier.targets, facility)) for facility in facilities):
            warnings.append(f"{field}: {tier.targets!r} matches nobody at any facility right now")
    return warnings


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


def list_policies() -> list[EscalationPolicy]:
    """Every policy, by id."""
    with reading() as session:
        return list(session.exec(select(EscalationPolicy).order_by(col(EscalationPolicy.id))).all())


def get_policy(policy_id: str) -> EscalationPolicy:
    with reading() as session:
        policy = session.get(EscalationPolicy, policy_id)
    if policy is None:
        raise not_found("policy", policy_id)
    return policy


def create_policy(*, body: PolicyCreate, actor: str) -> dict[str, Any]:
    """Save a new policy (optionally the default for a severity); warns of tiers paging nobody."""
    warnings = tier_warnings(body)
    with writing() as session:
        if session.get(EscalationPolicy, body.id):
            raise VigilError(409, "already_exists", f"Policy {body.id!r} already exists.")
        _check_schedules(session, body)
        _take_default(session, body.severity, body.id)
        policy = EscalationPolicy(**body.model_dump())
        session.add(policy)
        audit(session, actor=actor, action="policy.created", subject=body.id,
              detail=body.model_dump())
    return {**policy.model_dump(), "warnings": warnings}


def replace_policy(*, policy_id: str, body: PolicyIn, actor: str) -> dict[str, Any]:
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
        audit(session, actor=actor, action="policy.replaced", subject=policy_id,
              detail={**body.model_dump(), "version": policy.version})
    return {**policy.model_dump(), "warnings": warnings}
