"""FHIR R4 Observation/Bundle intake: turns vital-sign Observations into Readings.

The one module here allowed a third-party import (fhir.resources); it runs
in the API, never inside a workflow. fhir.resources 8.x ships R5 at its top
level and R4B in a subpackage; R4B's Observation and Bundle are the R4
shapes, so R4 payloads validate against it.
"""

from datetime import datetime, timezone

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.quantity import Quantity
from pydantic import ValidationError

from clinical.vitals import Reading, ReadingError, VitalSigns, validate_reading

LOINC = "http://loinc.org"
LOINC_VITALS = {
    "8867-4": "heart_rate",
    "9279-1": "respiratory_rate",
    "8310-5": "temperature_c",
    "59408-5": "spo2",  # SpO2 by pulse oximetry
    "2708-6": "spo2",  # arterial O2 saturation; devices use both
}
BP_PANEL = "85354-9"
BP_COMPONENTS = {"8480-6": "systolic_bp", "8462-4": "diastolic_bp"}
# entered-in-error, cancelled and registered carry no result to act on.
USABLE_STATUSES = {"final", "amended", "corrected", "preliminary"}
_CELSIUS = {"Cel", "[degC]", "degC", "°C", "C"}
_FAHRENHEIT = {"[degF]", "degF", "°F", "F"}


def readings_from_fhir(
    payload: dict, now: datetime | None = None, known_devices: set[str] | None = None
) -> list[Reading]:
    """Parse an Observation or Bundle into Readings; validate them too when `now` is given."""
    observations = _observations(payload)
    groups: dict[tuple[str, datetime], tuple[dict, dict]] = {}
    for obs, prefix in observations:
        device, taken_at, values = _parse_observation(obs, prefix)
        # Observations from one device at one instant are one reading, so
        # NEWS2 sees a device's full set rather than one vital at a time.
        first_paths = {"device_id": prefix + "device", "taken_at": prefix + "effectiveDateTime"}
        merged, sources = groups.setdefault((device, taken_at), ({}, first_paths))
        for name, (value, path) in values.items():
            if name in merged and merged[name] != value:
                raise ReadingError(
                    path, f"conflicts with {sources[name]} for the same device and time"
                )
            merged[name] = value
            sources[name] = path
    readings = []
    for (device, taken_at), (merged, sources) in groups.items():
        reading = Reading(device_id=device, taken_at=taken_at, vitals=VitalSigns(**merged))
        if now is not None:
            try:
                validate_reading(reading, now, known_devices)
            except ReadingError as error:
                raise ReadingError(sources.get(error.field, error.field), error.message) from error
        readings.append(reading)
    return readings


def _observations(payload: object) -> list[tuple[Observation, str]]:
    if not isinstance(payload, dict):
        raise ReadingError("resourceType", "expected a FHIR resource as a JSON object")
    kind = payload.get("resourceType")
    if kind == "Observation":
        return [(_validated(Observation, payload), "")]
    if kind != "Bundle":
        raise ReadingError("resourceType", "expected Observation or Bundle")
    bundle = _validated(Bundle, payload)
    # Other resources in a device bundle (Patient, Device) are context, not vitals.
    found = [
        (entry.resource, f"entry[{index}].resource.")
        for index, entry in enumerate(bundle.entry or [])
        if entry.resource is not None and entry.resource.get_resource_type() == "Observation"
    ]
    if not found:
        raise ReadingError("entry", "the bundle holds no Observation")
    return found


def _validated(model: type, payload: dict):
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        first = error.errors()[0]
        raise ReadingError(_path(first["loc"]), first["msg"]) from error


def _path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "resource"


def _parse_observation(obs: Observation, prefix: str) -> tuple[str, datetime, dict]:
    if obs.status not in USABLE_STATUSES:
        raise ReadingError(prefix + "status", f"status {obs.status!r} carries no usable result")
    code = _vital_code(obs, prefix)
    device = _device(obs, prefix)
    taken_at = _effective(obs, prefix)
    if code == BP_PANEL:
        return device, taken_at, _blood_pressure(obs, prefix)
    path = prefix + "valueQuantity"
    name = LOINC_VITALS[code]
    value = _quantity(obs.valueQuantity, path)
    if name == "temperature_c":
        value = _celsius(value, obs.valueQuantity, path)
    return device, taken_at, {name: (value, path + ".value")}


def _vital_code(obs: Observation, prefix: str) -> str:
    codes = [c.code for c in obs.code.coding or [] if c.system in (None, LOINC) and c.code]
    for code in codes:
        if code in LOINC_VITALS or code == BP_PANEL:
            return code
    known = ", ".join([*LOINC_VITALS, BP_PANEL])
    raise ReadingError(
        prefix + "code.coding", f"unsupported code {codes or 'none'}; expected LOINC {known}"
    )


def _device(obs: Observation, prefix: str) -> str:
    ref = obs.device
    if ref is not None and ref.reference and ref.reference.startswith("Device/"):
        device_id = ref.reference.split("/")[1]
        if device_id:
            return device_id
    if ref is not None and ref.display:
        return ref.display
    raise ReadingError(prefix + "device", "a Device/<id> reference or a display name is required")


def _effective(obs: Observation, prefix: str) -> datetime:
    moment = obs.effectiveInstant or obs.effectiveDateTime
    # datetime is a date subclass: a bare date has no time to alarm on.
    if not isinstance(moment, datetime):
        raise ReadingError(prefix + "effectiveDateTime", "a date and time with zone is required")
    offset = moment.utcoffset()
    # pydantic's own tzinfo class would otherwise travel into workflow payloads.
    return moment if offset is None else moment.replace(tzinfo=timezone(offset))


def _blood_pressure(obs: Observation, prefix: str) -> dict:
    values = {}
    for index, component in enumerate(obs.component or []):
        codes = {c.code for c in component.code.coding or [] if c.system in (None, LOINC)}
        for code, name in BP_COMPONENTS.items():
            if code in codes:
                path = f"{prefix}component[{index}].valueQuantity"
                values[name] = (_quantity(component.valueQuantity, path), path + ".value")
    if not values:
        raise ReadingError(
            prefix + "component", "a blood pressure panel needs systolic 8480-6 or diastolic 8462-4"
        )
    return values


def _quantity(quantity: Quantity | None, path: str) -> float:
    if quantity is None:
        raise ReadingError(path, "a valueQuantity is required")
    if quantity.value is None:
        raise ReadingError(path + ".value", "a value is required")
    if quantity.comparator is not None:
        # "<50" is a bound, not a measurement; scoring it as 50 would be a guess.
        raise ReadingError(path + ".comparator", "only exact values are accepted")
    return float(quantity.value)


def _celsius(value: float, quantity: Quantity, path: str) -> float:
    unit = quantity.code or quantity.unit
    field = path + (".code" if quantity.code else ".unit")
    if unit in _FAHRENHEIT:
        return round((value - 32) * 5 / 9, 2)
    if unit is None or unit in _CELSIUS:
        return value
    raise ReadingError(field, f"unsupported temperature unit {unit!r}; use Cel or [degF]")


def check_subjects(payload: object, patient_id: str) -> None:
    """Every Observation must be about this patient: `subject.reference` is exactly Patient/<id>.

    Checked on the raw JSON, before any parsing. Only the relative reference is
    accepted: an absolute URL names a patient on some server, and the same id on
    another server is another person; a subject given by identifier or display
    alone, a Group, or no subject cannot be tied to this session's patient.
    """
    expected = f"Patient/{patient_id}"
    for path, resource in _raw_observations(payload):
        subject = resource.get("subject")
        where = path + "subject"
        if not isinstance(subject, dict) or not isinstance(subject.get("reference"), str):
            raise ReadingError(where, f"the Observation must name its patient as "
                                      f"{{\"reference\": \"{expected}\"}}")
        if subject.get("type", "Patient") != "Patient":
            raise ReadingError(where, "the subject must be a Patient")
        if subject["reference"] != expected:
            raise ReadingError(where,
                               f"{subject['reference']!r} is not this session's patient ({expected})")


def count_entries(payload: object) -> tuple[int, int]:
    """(entries, Observations) in a raw Observation or Bundle, before anything is parsed."""
    observations = len(_raw_observations(payload))
    entries = payload.get("entry") if isinstance(payload, dict) else None
    return (len(entries) if isinstance(entries, list) else 0), observations


def _raw_observations(payload: object) -> list[tuple[str, dict]]:
    """(path prefix, resource) of each Observation in the raw JSON."""
    if not isinstance(payload, dict):
        return []
    if payload.get("resourceType") == "Observation":
        return [("", payload)]
    entries = payload.get("entry") if payload.get("resourceType") == "Bundle" else None
    found = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Observation":
            found.append((f"entry[{index}].resource.", resource))
    return found
