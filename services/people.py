"""Patients and caregivers in the directory: create, read (audited), change.

People share one id space with staff, so the delivery path can find anyone by
id alone (activities/recipients.py): an id taken by any person is refused.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from audit.chain import append as audit
from db.engine import reading, writing
from db.models import Caregiver, Patient, Staff, utcnow
from services.errors import VigilError, not_found
from services.principal import Principal
from services.schemas.people import (
    CaregiverCreate,
    CaregiverPublic,
    PatientChange,
    PatientCreate,
    PatientIn,
    PatientPublic,
)

_PEOPLE = (Staff, Patient, Caregiver)
_SECRET = {"push_token", "reason"}  # never copied into the audit detail (reason has its own key)


def person_id_taken(session: Session, person_id: str) -> bool:
    """Whether any staff member, patient or caregiver already has this id."""
    return any(session.get(table, person_id) is not None for table in _PEOPLE)


def _claim_id(session: Session, wanted: str | None, prefix: str) -> str:
    person_id = wanted or f"{prefix}-{uuid.uuid4().hex[:10]}"
    if person_id_taken(session, person_id):
        raise VigilError(409, "already_exists", f"Someone already has the id {person_id!r}.")
    return person_id


def _patient_columns(body: PatientIn) -> dict[str, Any]:
    data = body.model_dump(mode="json", include=set(PatientIn.model_fields))
    home = data.pop("home")
    return {**data, "home_latitude": home and home["latitude"],
            "home_longitude": home and home["longitude"]}


def patient_by_phone(number: str) -> Patient | None:
    """The one patient with this number (E.164, as Twilio sends it); None if not exactly one."""
    with reading() as session:
        found = session.exec(select(Patient).where(Patient.phone == number.strip())).all()
    return found[0] if len(found) == 1 else None


def patient_public(row: Patient) -> PatientPublic:
    """The stored row in the API's shape (home as one point, preferences re-checked)."""
    home = (None if row.home_latitude is None or row.home_longitude is None
            else {"latitude": row.home_latitude, "longitude": row.home_longitude})
    return PatientPublic.model_validate({**row.model_dump(), "home": home})


def _read_audited(principal: Principal, patient_id: str, what: str) -> None:
    with writing() as session:
        audit(session, actor=principal.sub, action="patient_data.read", subject=patient_id,
              detail={"what": what})


def _can_read_patient(principal: Principal, patient_id: str) -> bool:
    return principal.is_staff or ("patient" in principal.roles and principal.sub == patient_id)


def create_patient(*, body: PatientCreate, principal: Principal) -> PatientPublic:
    """Add a patient (id given, or a new patient-... id)."""
    with writing() as session:
        row = Patient(id=_claim_id(session, body.id, "patient"), **_patient_columns(body))
        session.add(row)
        audit(session, actor=principal.sub, action="patient.created", subject=row.id,
              detail={**body.model_dump(mode="json", exclude=_SECRET | {"id"}), "reason": body.reason})
    return patient_public(row)


def list_patients(*, principal: Principal, limit: int, offset: int) -> list[PatientPublic]:
    """Patients by id (staff only; the read is audited, naming who was listed)."""
    if not principal.is_staff:
        raise VigilError(403, "forbidden", "Only staff list patients.")
    with reading() as session:
        rows = session.exec(select(Patient).order_by(col(Patient.id)).limit(limit)
                            .offset(offset)).all()
    with writing() as session:
        audit(session, actor=principal.sub, action="patient_data.read", subject="patients",
              detail={"what": "list", "patient_ids": [r.id for r in rows]})
    return [patient_public(r) for r in rows]


def read_patient(*, patient_id: str, principal: Principal) -> PatientPublic:
    """One patient, for staff or the patient themself (the read is audited)."""
    if not _can_read_patient(principal, patient_id):
        raise VigilError(403, "forbidden", "You are not authorised for this patient.")
    with reading() as session:
        row = session.get(Patient, patient_id)
    if row is None:
        raise not_found("patient", patient_id)
    _read_audited(principal, patient_id, "patient")
    return patient_public(row)


def change_patient(*, patient_id: str, body: PatientChange,
                   principal: Principal) -> PatientPublic:
    """Replace the given fields; the result is checked whole (prayer times need a home)."""
    changes = body.model_dump(mode="json", exclude_unset=True, exclude={"reason"})
    with writing() as session:
        row = session.get(Patient, patient_id)
        if row is None:
            raise not_found("patient", patient_id)
        current = patient_public(row).model_dump(mode="json", include=set(PatientIn.model_fields))
        try:
            merged = PatientIn.model_validate({**current, **changes})
        except ValidationError as error:
            details = [{"field": ".".join(str(p) for p in ("body", *e["loc"])),
                        "message": e["msg"]} for e in error.errors()]
            raise VigilError(422, "invalid_request",
                             f"{details[0]['field']}: {details[0]['message']}", details)
        for name, value in _patient_columns(merged).items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        session.add(row)
        audit(session, actor=principal.sub, action="patient.changed", subject=patient_id,
              detail={"changed": sorted(set(changes) - _SECRET), "reason": body.reason})
    return patient_public(row)


def create_caregiver(*, body: CaregiverCreate, principal: Principal) -> Caregiver:
    """Add a caregiver or family member (id given, or a new cg-... id). They see nothing until a
    patient's consent names them."""
    with writing() as session:
        row = Caregiver(id=_claim_id(session, body.id, "cg"),
                        **body.model_dump(exclude={"id", "reason"}))
        session.add(row)
        audit(session, actor=principal.sub, action="caregiver.created", subject=row.id,
              detail={**body.model_dump(mode="json", exclude=_SECRET | {"id"}), "reason": body.reason})
    return row


def read_caregiver(*, person_id: str, principal: Principal) -> CaregiverPublic:
    """One caregiver, for staff or the caregiver themself."""
    if not principal.is_staff and principal.sub != person_id:
        raise VigilError(403, "forbidden", "You can only read your own record.")
    with reading() as session:
        row = session.get(Caregiver, person_id)
    if row is None:
        raise not_found("caregiver", person_id)
    return CaregiverPublic.model_validate(row.model_dump())


def list_caregivers(*, principal: Principal, limit: int, offset: int) -> list[CaregiverPublic]:
    """Caregivers by id (staff only)."""
    if not principal.is_staff:
        raise VigilError(403, "forbidden", "Only staff list caregivers.")
    with reading() as session:
        rows = session.exec(select(Caregiver).order_by(col(Caregiver.id)).limit(limit)
                            .offset(offset)).all()
    return [CaregiverPublic.model_validate(r.model_dump()) for r in rows]
