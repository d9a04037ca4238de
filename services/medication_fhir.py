"""FHIR R4 `MedicationRequest` in: the same schedule request, the same start, as Vigil JSON.

Parsed with fhir.resources (R4B's MedicationRequest is the R4 shape). What Vigil reads:
- `status` active (anything else is not an order to remind about), `intent` not
  a proposal or option;
- `subject` `Patient/<id>`: a patient in the directory, whose time zone,
  language, home and preferences (quiet hours, prayer-time awareness, Ramadan
  mode, halal-only) the schedule uses; caregivers whose `medication` consent is
  in force with the escalation flag are its escalation contacts;
- `medicationCodeableConcept` (text, else the first coding's display or code)
  and `id` as the medicine's id;
- exactly one `dosageInstruction`: `text` and `patientInstruction` as the
  instructions, `doseAndRate[0].doseQuantity` as the dose, and its `timing`
  (services/medication_fhir_timing.py says what a Timing may be);
- extensions `urn:vigil:medication:time-critical` (valueBoolean),
  `max-shift-min` (valueInteger), `halal` (valueCode halal, not-halal, unknown)
  and `with-breakfast` (valueBoolean).
Anything else Vigil would act on is refused naming its FHIR element.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fhir.resources.R4B.dosage import Dosage
from fhir.resources.R4B.medicationrequest import MedicationRequest
from pydantic import ValidationError
from temporalio.client import Client

from activities.consents import consented_people
from clinical.dose_times import zone_named
from clinical.prayer_times import adjustments_for
from db.engine import reading
from db.models import MedicationSchedule, Patient
from events.hub import EventHub
from services.errors import VigilError
from services.fhir_resources import invalid, parse_resource
from services.medication import check_schedule, preferences_from, schedule_from, start_schedule
from services.medication_fhir_timing import DOSAGE, REPEAT, schedule_from_timing
from services.principal import Principal
from services.schemas.medication import (
    MedicationIn,
    PreferencesIn,
    PrayerIn,
    QuietHoursIn,
    ScheduleCreate,
)
from services.schemas.people import PatientPreferences

EXT = "urn:vigil:medication:"
# A Vigil schedule field, as the FHIR element it came from.
FHIR_FIELD = {"schedule.start_date": f"{REPEAT}.boundsPeriod.start",
              "schedule.end_date": f"{REPEAT}.boundsPeriod.end",
              "schedule.times": f"{REPEAT}.timeOfDay", "schedule.every_hours": f"{REPEAT}.period",
              "schedule.first_time": f"{REPEAT}.timeOfDay",
              "schedule.weekdays": f"{REPEAT}.dayOfWeek",
              "preferences": "subject"}


def _renamed(error: VigilError) -> VigilError:
    """A Vigil JSON field in a refusal, named as the FHIR element it came from."""
    detail = error.details[0] if isinstance(error.details, list) else {}
    field, message = str(detail.get("field", "resource")), str(detail.get("message", error))
    head, sep, rest = field.partition("[")
    if head in FHIR_FIELD:
        return invalid(FHIR_FIELD[head] + sep + rest, message)
    return invalid(FHIR_FIELD.get(head.split(".")[0], field), message)


# --- the patient ------------------------------------------------------------------------

def _patient(resource: MedicationRequest) -> Patient:
    reference = resource.subject.reference if resource.subject else None
    kind, _, ident = (reference or "").partition("/")
    if kind != "Patient" or not ident:
        raise invalid("subject.reference", "must be Patient/<id>")
    with reading() as session:
        row = session.get(Patient, ident)
    if row is None:
        raise invalid("subject.reference", f"unknown patient {ident!r}")
    return row


def patient_preferences(row: Patient) -> PreferencesIn:
    """The patient record's zone, language, home and preferences, as a schedule takes them."""
    prefs = PatientPreferences.model_validate(row.preferences or {})
    prayer = None
    if prefs.prayer.enabled:
        method = prefs.prayer.method
        prayer = PrayerIn(fajr_angle=method.fajr_angle, isha_angle=method.isha_angle,
                          madhab="hanafi" if method.asr == "hanafi" else "shafi",
                          adjustments=adjustments_for(
                              method.name, prefs.prayer.adjustments.model_dump()))
    quiet = prefs.quiet_hours
    return PreferencesIn(
        zone=row.time_zone, language=row.language,  # type: ignore[arg-type]  # stored validated
        latitude=row.home_latitude, longitude=row.home_longitude, prayer=prayer,
        quiet_hours=QuietHoursIn(start=quiet.start.strftime("%H:%M"),
                                 end=quiet.end.strftime("%H:%M")) if quiet else None,
        ramadan_mode=prefs.ramadan_mode, halal_only=prefs.halal_only)


# --- the medicine -----------------------------------------------------------------------

def _extensions(resource: MedicationRequest) -> dict[str, Any]:
    found: dict[str, Any] = {}
    kinds = {"time-critical": ("time_critical", "valueBoolean"),
             "max-shift-min": ("max_shift_min", "valueInteger"),
             "halal": ("halal", "valueCode"), "with-breakfast": ("with_breakfast", "valueBoolean")}
    for i, ext in enumerate(resource.extension or []):
        if not ext.url.startswith(EXT):
            continue  # someone else's extension: not Vigil's to judge
        key = ext.url.removeprefix(EXT)
        if key not in kinds:
            raise invalid(f"extension[{i}].url", f"unknown; Vigil's are {EXT}"
                          + f", {EXT}".join(kinds))
        name, value_type = kinds[key]
        value = getattr(ext, value_type, None)
        if value is None:
            raise invalid(f"extension[{i}]", f"{key} needs {value_type}")
        if name == "halal":
            value = {"halal": "halal", "not-halal": "not_halal", "unknown": "unknown"}.get(value)
            if value is None:
                raise invalid(f"extension[{i}].valueCode", "one of halal, not-halal, unknown")
        found[name] = value
    return found


def _medicine(resource: MedicationRequest, dosage: Dosage) -> MedicationIn:
    if resource.medicationReference is not None:
        raise invalid("medicationReference", "not supported; send medicationCodeableConcept")
    concept = resource.medicationCodeableConcept
    coding = (concept.coding or [None])[0] if concept else None
    named = coding.display or coding.code if coding else None
    name = (concept.text if concept else None) or named
    if not name:
        raise invalid("medicationCodeableConcept", "name the medicine (text or coding)")
    quantity = dosage.doseAndRate[0].doseQuantity if dosage.doseAndRate else None
    if quantity is None or quantity.value is None:
        raise invalid(f"{DOSAGE}.doseAndRate", "give doseAndRate[0].doseQuantity with a value")
    dose = f"{quantity.value.normalize():f} {quantity.unit or quantity.code or ''}".strip()
    said = [t for t in (dosage.text, dosage.patientInstruction) if t]
    where = {"id": "id", "name": "medicationCodeableConcept", "dose": f"{DOSAGE}.doseAndRate",
             "instructions": f"{DOSAGE}.text"}
    try:
        return MedicationIn(id=resource.id or "m1", name=name, dose=dose,
                            instructions="\n".join(said), **_extensions(resource))
    except ValidationError as error:
        first = error.errors()[0]
        raise invalid(where.get(str(first["loc"][0]), "extension"), first["msg"])


# --- the whole request ------------------------------------------------------------------

def schedule_request_from_fhir(payload: Any) -> ScheduleCreate:
    """The Vigil schedule request a MedicationRequest means, checked through; a 422 naming the
    FHIR field otherwise. Reads the directory: call it off the event loop."""
    resource = parse_resource(payload, MedicationRequest, "MedicationRequest")
    if resource.status != "active":
        raise invalid("status", "must be active to start reminders")
    if resource.intent in ("proposal", "option"):
        raise invalid("intent", f"a {resource.intent} is not an order")
    dosages = resource.dosageInstruction or []
    if len(dosages) != 1:
        raise invalid("dosageInstruction", "exactly one dosage instruction")
    medicine = _medicine(resource, dosages[0])
    patient = _patient(resource)
    prefs_in = patient_preferences(patient)
    today = datetime.now(zone_named(patient.time_zone)).date()
    schedule_in = schedule_from_timing(dosages[0].timing, patient.time_zone, today)
    try:
        preferences_from(prefs_in)
        check_schedule(schedule_from(schedule_in), patient.time_zone)
    except VigilError as error:
        raise _renamed(error)
    contacts = consented_people(patient_id=patient.id, scope="medication", escalation_only=True)
    return ScheduleCreate(patient_id=patient.id, medications=[medicine], schedule=schedule_in,
                          preferences=prefs_in, escalation_contacts=contacts[:20])


async def start_from_fhir(*, client: Client, hub: EventHub | None, payload: Any,
                          user: Principal) -> MedicationSchedule:
    """Start the schedule a MedicationRequest describes, exactly as its Vigil JSON would."""
    body = await asyncio.to_thread(schedule_request_from_fhir, payload)
    return await start_schedule(client=client, hub=hub, body=body, user=user)
