"""Who may see a patient, decided from the consent records (never from a token's claims).

Staff see patients by their role; a patient sees themself; a caregiver or
family member sees a patient only through a consent in force, and only its
scopes. `require_consent` is the one check; every route and stream uses it.
A revoked consent is never used again: a change of scopes is a new record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from audit.chain import append as audit
from activities.consents import consented_people  # noqa: F401 - the one consent query
from db.engine import reading, writing
from db.models import Caregiver, Consent, Patient, as_utc, utcnow
from events.publish import publish
from events.topics import consent_topic
from services.errors import VigilError, not_found
from services.principal import Principal
from services.schemas.people import SCOPES, ConsentCreate, ConsentRevoke

# Staff who may follow any patient's updates (auditors read the audit trail instead).
CARE_ROLES = ("provider", "coordinator", "admin")
# Staff who may grant and revoke on a patient's behalf (always with a reason).
CONSENT_ADMINS = ("coordinator", "admin")


@dataclass(frozen=True)
class Access:
    """What a caller may see of one patient, and since when."""

    who: Literal["staff", "patient", "caregiver"]
    scopes: frozenset[str]
    since: datetime | None = None  # a caregiver sees what happened from their grant on
    consent_id: str | None = None


def consent_in_force(session: Session, *, patient_id: str, person_id: str) -> Consent | None:
    """The unrevoked consent linking a patient and a person, if there is one."""
    return session.exec(select(Consent).where(
        Consent.patient_id == patient_id, Consent.person_id == person_id,
        col(Consent.revoked_at).is_(None))).first()


def consenting_patients(session: Session, person_id: str, scope: str | None = None) -> list[str]:
    """The patients whose consent to this person is in force (covering `scope`, if named)."""
    rows = session.exec(select(Consent).where(
        Consent.person_id == person_id, col(Consent.revoked_at).is_(None))).all()
    return sorted({c.patient_id for c in rows if scope is None or scope in (c.scopes or [])})


def access_to(principal: Principal, patient_id: str) -> Access | None:
    """What `principal` may see of this patient now, from the records; None: nothing."""
    if principal.has_any(CARE_ROLES):
        return Access("staff", frozenset(SCOPES))
    with reading() as session:
        if "patient" in principal.roles and principal.sub == patient_id:
            if session.get(Patient, patient_id) is not None:
                return Access("patient", frozenset(SCOPES))
        if "family" in principal.roles:
            consent = consent_in_force(session, patient_id=patient_id, person_id=principal.sub)
            if consent is not None:
                return Access("caregiver", frozenset(consent.scopes),
                              as_utc(consent.granted_at), consent.id)
    return None


def require_consent(principal: Principal, patient_id: str,
                    scope: str | tuple[str, ...]) -> Access:
    """The caller's access to the patient for `scope` (any of, if several), or a 403."""
    wanted = {scope} if isinstance(scope, str) else set(scope)
    access = access_to(principal, patient_id)
    if access is None or not wanted & access.scopes:
        raise VigilError(403, "forbidden", "You are not authorised for this patient.",
                         {"patient_id": patient_id, "scope": sorted(wanted)})
    return Access(access.who, access.scopes & wanted, access.since, access.consent_id)


def _acting_for(principal: Principal, patient_id: str, reason: str | None, verb: str) -> None:
    """The patient acts for themself; coordinators and admins act for them, with a reason."""
    if "patient" in principal.roles and principal.sub == patient_id:
        return
    if not principal.has_any(CONSENT_ADMINS):
        raise VigilError(403, "forbidden",
                         f"Only the patient, a coordinator or an admin may {verb} consent.")
    if not reason:
        raise VigilError(422, "reason_required",
                         f"reason: say why you {verb} consent on the patient's behalf.",
                         [{"field": "reason", "message": "required when acting for the patient"}])


def list_consents(*, patient_id: str, principal: Principal,
                  include_revoked: bool = True) -> list[Consent]:
    """A patient's consents, newest first (the read is audited)."""
    if not principal.is_staff and not ("patient" in principal.roles and principal.sub == patient_id):
        raise VigilError(403, "forbidden", "Only staff and the patient see who is authorised.")
    with writing() as session:
        if session.get(Patient, patient_id) is None:
            raise not_found("patient", patient_id)
        query = select(Consent).where(Consent.patient_id == patient_id)
        if not include_revoked:
            query = query.where(col(Consent.revoked_at).is_(None))
        rows = list(session.exec(query.order_by(col(Consent.granted_at).desc())).all())
        audit(session, actor=principal.sub, action="patient_data.read", subject=patient_id,
              detail={"what": "consents"})
    return rows


def grant_consent(*, patient_id: str, body: ConsentCreate, principal: Principal) -> Consent:
    """Record a consent; one already in force for that person is superseded (revoked) by it."""
    _acting_for(principal, patient_id, body.reason, "grant")
    try:
        with writing() as session:
            if session.get(Patient, patient_id) is None:
                raise not_found("patient", patient_id)
            if session.get(Caregiver, body.person_id) is None:
                raise VigilError(422, "unknown_person", f"No caregiver {body.person_id!r}.",
                                 [{"field": "person_id", "message": "not a caregiver"}])
            consent = Consent(id=f"consent-{uuid.uuid4().hex[:12]}", patient_id=patient_id,
                              person_id=body.person_id, scopes=list(body.scopes),
                              escalation_contact=body.escalation_contact,
                              granted_by=principal.sub, reason=body.reason)
            old = consent_in_force(session, patient_id=patient_id, person_id=body.person_id)
            if old is not None:
                _end(session, old, by=principal.sub, reason=f"superseded by {consent.id}")
                session.flush()  # the old one out of force before the new one goes in
            session.add(consent)
            audit(session, actor=principal.sub, action="consent.granted", subject=patient_id,
                  detail={"consent_id": consent.id, "person_id": consent.person_id,
                          "scopes": consent.scopes, "escalation_contact": consent.escalation_contact,
                          "reason": body.reason, "supersedes": old.id if old else None})
    except IntegrityError:  # a concurrent grant for the same person won
        raise VigilError(409, "conflict", "Another grant for this person was just recorded; retry.")
    return consent


def revoke_consent(*, patient_id: str, consent_id: str, body: ConsentRevoke,
                   principal: Principal) -> Consent:
    """End a consent at once: open streams of that person close and nothing more reaches them."""
    if not ("family" in principal.roles and _is_own(principal, consent_id)):
        _acting_for(principal, patient_id, body.reason, "revoke")
    with writing() as session:
        consent = session.get(Consent, consent_id)
        if consent is None or consent.patient_id != patient_id:
            raise not_found("consent", consent_id)
        if consent.revoked_at is not None:
            return consent  # revoking twice changes nothing
        _end(session, consent, by=principal.sub, reason=body.reason)
        audit(session, actor=principal.sub, action="consent.revoked", subject=patient_id,
              detail={"consent_id": consent.id, "person_id": consent.person_id,
                      "reason": body.reason})
    return consent


def _is_own(principal: Principal, consent_id: str) -> bool:
    """A caregiver may always withdraw from their own consent."""
    with reading() as session:
        consent = session.get(Consent, consent_id)
    return consent is not None and consent.person_id == principal.sub


def _end(session: Session, consent: Consent, *, by: str, reason: str | None) -> None:
    consent.revoked_at, consent.revoked_by, consent.revoke_reason = utcnow(), by, reason
    session.add(consent)
    # Wakes the person's open update streams, which re-check and close (api/routes/family.py).
    publish(session, topic=consent_topic(consent.patient_id, consent.person_id),
            kind="consent_revoked", payload={"consent_id": consent.id})
