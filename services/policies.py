"""Escalation policies as they are saved: every tier must be able to page someone.

A tier naming one person (`staff:<id>`) who is not in the directory can never
page anyone: it is refused (as a `schedule:<id>` naming no schedule is, by the
route). The other selectors, schedules included, depend on the facility and on
who is on call when an emergency starts, which changes every shift, so a tier
that matches nobody at any facility right now is saved with a warning instead.
"""

from __future__ import annotations

from sqlmodel import select

from activities.directory import TargetQuery, find_targets
from db.engine import reading
from db.models import Facility, Staff
from services.errors import VigilError
from services.schemas.directory import PolicyIn


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
