"""A patient's doses as a FHIR R4 `MedicationAdministration` searchset Bundle.

The same dose rows adherence counts (services/medication.py `counted_doses`),
one resource per dose and medicine, built by clinical/fhir_medication.py (as the
dose webhooks are) with the medicine's name, dose, performer and notes added:
- taken on time or late → `completed` (a late one says so in `note`);
- skipped or missed → `not-done`, with `statusReason` coded in
  `urn:vigil:dose-outcome` (`skipped` with the patient's reason as its text;
  `missed` saying who was told).
`effectiveDateTime` is when it was confirmed, or when it was due if it never
was. Every resource and the Bundle are validated with fhir.resources.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from sqlmodel import col, select

from audit.chain import append as audit
from clinical.fhir_medication import medication_administration
from db.engine import reading, writing
from db.models import DoseRecord, MedicationSchedule, as_utc
from services.consent import require_consent
from services.medication import READ_ROLES, counted_doses
from services.principal import Principal

NAMESPACE = uuid.UUID("5f0c3d8e-8a53-4a53-9d1e-6c1f4b7f2a10")  # stable resource ids


def _reason_text(row: DoseRecord) -> str | None:
    if row.outcome == "skipped":
        return f"skipped: {row.reason}" if row.reason else "skipped"
    if row.outcome == "missed":
        told = ", ".join(row.escalated_to)
        return "not confirmed in its window" + (f"; caregiver told: {told}" if told else "")
    return None


def _notes(row: DoseRecord) -> list[dict[str, str]]:
    notes = []
    if row.outcome == "late":
        notes.append("taken late: confirmed after its window, before the next dose")
    if row.confirmed_by:
        behalf = " on the patient's behalf" if row.on_behalf else ""
        notes.append(f"confirmed by {row.confirmed_by}{behalf}" + (f" via {row.via}"
                                                                  if row.via else ""))
    if row.moves:
        notes.append(f"reminder moved: {', '.join(row.moves)}")
    return [{"text": text} for text in notes]


def administration(row: DoseRecord, medicine: dict[str, Any]) -> MedicationAdministration:
    """One medicine of one dose, as FHIR says it was given or not."""
    given = row.outcome in ("taken", "late") and row.confirmed_at is not None
    when = as_utc(row.confirmed_at if given else row.due_at)
    assert when is not None
    resource = medication_administration(
        dose_key=row.id, medicine_id=medicine["id"], patient_id=row.patient_id,
        outcome=row.outcome, effective=when.isoformat(),
        medicine_name=medicine.get("name") or medicine["id"], reason_text=_reason_text(row))
    resource["id"] = str(uuid.uuid5(NAMESPACE, f"{row.id}/{medicine['id']}"))
    resource["performer"] = [{"actor": {"reference": f"Patient/{row.patient_id}"}}]
    if medicine.get("dose"):
        resource["dosage"] = {"text": medicine["dose"]}
    if notes := _notes(row):
        resource["note"] = notes
    return MedicationAdministration.model_validate(resource)


def _medicines(schedule_ids: set[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """schedule id -> medicine id -> its name and dose, as the schedule now lists them."""
    with reading() as session:
        rows = session.exec(select(MedicationSchedule).where(
            col(MedicationSchedule.id).in_(schedule_ids))).all() if schedule_ids else []
    return {r.id: {m["id"]: m for m in r.medications} for r in rows}


def administrations_bundle(*, patient_id: str, days: int, schedule_id: str | None = None,
                           now: datetime | None = None) -> dict[str, Any]:
    """Every counted dose of the patient in the last `days` days, oldest first."""
    since = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    rows = counted_doses(since=since, patient_id=patient_id, schedule_id=schedule_id)
    medicines = _medicines({r.schedule_id for r in rows})
    entries = []
    for row in rows:
        for med_id in row.medications:
            medicine = medicines.get(row.schedule_id, {}).get(med_id, {"id": med_id})
            resource = administration(row, medicine)
            entries.append({"fullUrl": f"urn:uuid:{resource.id}",
                            "resource": resource.model_dump(mode="json"),
                            "search": {"mode": "match"}})
    bundle = Bundle.model_validate({"resourceType": "Bundle", "type": "searchset",
                                    "total": len(entries), "entry": entries})
    return bundle.model_dump(mode="json", exclude_none=True)


def read_administrations(*, user: Principal, patient_id: str, days: int,
                         schedule_id: str | None) -> dict[str, Any]:
    """The Bundle, for staff, the patient or a caregiver with `medication` consent (audited)."""
    if not user.has_any(READ_ROLES):
        require_consent(user, patient_id, "medication")
    bundle = administrations_bundle(patient_id=patient_id, days=days, schedule_id=schedule_id)
    with writing() as session:
        audit(session, actor=user.sub, action="patient_data.read", subject=patient_id,
              detail={"patient_id": patient_id, "what": "medication_administrations",
                      "days": days, "schedule_id": schedule_id})
    return bundle
