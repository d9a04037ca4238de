"""Who a patient has authorised, read from the consent records: the one query the workflows'
activities (who to tell) and the services (who may see) both use."""

from __future__ import annotations

from sqlmodel import col, select

from db.engine import reading
from db.models import Consent


def consented_people(*, patient_id: str, scope: str, escalation_only: bool = False) -> list[str]:
    """Ids of the caregivers who may be told about `scope` for this patient now."""
    with reading() as session:
        rows = session.exec(select(Consent).where(Consent.patient_id == patient_id,
                                                  col(Consent.revoked_at).is_(None))
                            .order_by(col(Consent.granted_at))).all()
    return [c.person_id for c in rows
            if scope in c.scopes and (c.escalation_contact or not escalation_only)]
