"""Read what the stack recorded, straight from the database the test shares with it."""

from __future__ import annotations

from sqlmodel import col, select

from db.engine import reading
from db.models import AuditEntry, DeliveryAttempt, Emergency


def attempts(emergency_id: str, **where: object) -> list[DeliveryAttempt]:
    with reading() as session:
        rows = session.exec(select(DeliveryAttempt)
                            .where(DeliveryAttempt.subject_id == emergency_id)
                            .order_by(col(DeliveryAttempt.created_at))).all()
    return [r for r in rows if all(getattr(r, k) == v for k, v in where.items())]


def emergency(emergency_id: str) -> Emergency | None:
    with reading() as session:
        return session.get(Emergency, emergency_id)


def audit_actions(subject: str) -> list[str]:
    with reading() as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.subject == subject)
                            .order_by(col(AuditEntry.seq))).all()
    return [r.action for r in rows]


def count_emergencies() -> int:
    with reading() as session:
        return len(session.exec(select(Emergency.id)).all())


def audit_entry(subject: str, action: str) -> AuditEntry | None:
    """The first audit entry with this action for this subject."""
    with reading() as session:
        return session.exec(select(AuditEntry).where(AuditEntry.subject == subject,
                                                     AuditEntry.action == action)
                            .order_by(col(AuditEntry.seq))).first()
