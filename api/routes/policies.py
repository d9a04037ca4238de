"""Escalation policies. Editing one never changes an emergency already under way."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Admin, Staff
from api.errors import ERROR_RESPONSES
from db.models import EscalationPolicy
from services import policies
from services.schemas.directory import PolicyCreate, PolicyIn, PolicyPublic

router = APIRouter(prefix="/policies", tags=["policies"], responses=ERROR_RESPONSES)


@router.get("", response_model=list[PolicyPublic])
def list_policies(user: Staff) -> list[EscalationPolicy]:
    """Every policy."""
    return policies.list_policies()


@router.get("/{policy_id}", response_model=PolicyPublic)
def read_policy(policy_id: str, user: Staff) -> EscalationPolicy:
    """One policy."""
    return policies.get_policy(policy_id)


@router.post("", status_code=201, response_model=PolicyPublic)
def create_policy(body: PolicyCreate, user: Admin) -> dict[str, Any]:
    """Create a policy (optionally the default for a severity); warns of tiers paging nobody."""
    return policies.create_policy(body=body, actor=user.sub)


@router.put("/{policy_id}", response_model=PolicyPublic)
def replace_policy(policy_id: str, body: PolicyIn, user: Admin) -> dict[str, Any]:
    """Replace a policy; its version goes up. Emergencies under way keep their snapshot."""
    return policies.replace_policy(policy_id=policy_id, body=body, actor=user.sub)
