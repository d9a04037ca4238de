"""FHIR R4 intake: vital-sign Observations and Bundles become Readings."""

from datetime import UTC, datetime, timezone

import pytest

from clinical.fhir import check_subjects, count_entries, readings_from_fhir
from clinical.vitals import ReadingError

NOW = datetime(2025, 1, 1, 12, 5, tzinfo=UTC)
WHEN = "2025-01-01T12:00:00+00:00"


def observation(code: str, value=None, unit=None, ucum=None, device="Device/ox-1", **extra):
    obs = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "effectiveDateTime": WHEN,
        "device": {"reference": device},
    }
    if value is not None:
        obs["valueQuantity"] = {"value": value, **({"unit": unit} if unit else {}),
                                **({"system": "http://unitsofmeasure.org", "code": ucum}
                                   if ucum else {})}
    obs.update(extra)
    return obs


def blood_pressure(systolic=128, diastolic=82):
    def component(code, value):
        return {"code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                "valueQuantity": {"value": value, "unit": "mmHg", "code": "mm[Hg]"}}
    obs = observation("85354-9", device="Device/bp-2")
    obs["component"] = [component("8480-6", systolic), component("8462-4", diastolic)]
    return obs


def bundle(*resources):
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in resources]}


def field_of(payload, **kwargs) -> str:
    with pytest.raises(ReadingError) as caught:
        readings_from_fhir(payload, **kwargs)
    return caught.value.field


def test_heart_rate_observation_becomes_a_reading():
    [reading] = readings_from_fhir(observation("8867-4", 72, "/min"))
    assert reading.device_id == "ox-1"
    assert reading.taken_at == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert reading.vitals.heart_rate == 72
    assert reading.vitals.measured() == ["heart_rate"]


def test_timestamps_use_the_standard_library_time_zone():
    obs = observation("8867-4", 72, effectiveDateTime="2025-01-01T20:00:00+08:00")
    [reading] = readings_from_fhir(obs)
    assert type(reading.taken_at.tzinfo) is timezone
    assert reading.taken_at == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "code, field",
    [("8867-4", "heart_rate"), ("9279-1", "respiratory_rate"), ("59408-5", "spo2"),
     ("2708-6", "spo2"), ("8310-5", "temperature_c")],
)
def test_each_supported_loinc_code_maps_to_its_vital(code, field):
    [reading] = readings_from_fhir(observation(code, 36.9))
    assert getattr(reading.vitals, field) == 36.9


def test_device_display_is_used_without_a_reference():
    obs = observation("8867-4", 72)
    obs["device"] = {"display": "bedside-monitor-7"}
    assert readings_from_fhir(obs)[0].device_id == "bedside-monitor-7"


def test_blood_pressure_panel_gives_systolic_and_diastolic():
    [reading] = readings_from_fhir(blood_pressure(128, 82))
    assert (reading.device_id, reading.vitals.systolic_bp, reading.vitals.diastolic_bp) == (
        "bp-2", 128, 82)


def test_fahrenheit_temperature_is_converted_to_celsius():
    [reading] = readings_from_fhir(observation("8310-5", 98.6, "degF", "[degF]"))
    assert reading.vitals.temperature_c == 37.0


def test_celsius_temperature_is_kept():
    [reading] = readings_from_fhir(observation("8310-5", 37.2, "C", "Cel"))
    assert reading.vitals.temperature_c == 37.2


def test_unknown_temperature_unit_is_rejected():
    assert field_of(observation("8310-5", 310, "K", "K")) == "valueQuantity.code"


def test_bundle_groups_one_devices_observations_at_one_time_into_one_reading():
    payload = bundle(
        {"resourceType": "Patient", "id": "p1"},
        observation("8867-4", 72),
        observation("59408-5", 96, "%", "%"),
        blood_pressure(),
        observation("8867-4", 75, effectiveDateTime="2025-01-01T12:01:00+00:00"),
    )
    readings = readings_from_fhir(payload, now=NOW)
    assert [(r.device_id, r.vitals.measured()) for r in readings] == [
        ("ox-1", ["heart_rate", "spo2"]),
        ("bp-2", ["systolic_bp", "diastolic_bp"]),
        ("ox-1", ["heart_rate"]),
    ]


def test_conflicting_values_for_one_device_and_time_are_rejected():
    payload = bundle(observation("8867-4", 72), observation("8867-4", 90))
    assert field_of(payload) == "entry[1].resource.valueQuantity.value"


def test_unsupported_code_is_rejected():
    assert field_of(observation("29463-7", 80)) == "code.coding"


def test_unsupported_code_in_a_bundle_names_its_entry():
    payload = bundle(observation("8867-4", 72), observation("29463-7", 80))
    assert field_of(payload) == "entry[1].resource.code.coding"


def test_code_from_another_system_is_not_taken_for_loinc():
    obs = observation("8867-4", 72)
    obs["code"]["coding"][0]["system"] = "http://snomed.info/sct"
    assert field_of(obs) == "code.coding"


def test_malformed_value_names_its_path():
    payload = bundle(observation("8867-4", 72), blood_pressure(), observation("59408-5", "abc"))
    assert field_of(payload) == "entry[2].resource.valueQuantity.value"


def test_impossible_value_is_rejected_at_its_fhir_path_when_validating():
    payload = bundle(observation("59408-5", 96), observation("8867-4", 900))
    assert field_of(payload, now=NOW) == "entry[1].resource.valueQuantity.value"


def test_impossible_component_value_names_the_component():
    assert field_of(blood_pressure(120, 130), now=NOW) == "component[1].valueQuantity.value"


def test_unknown_device_is_rejected_when_validating():
    assert field_of(observation("8867-4", 72), now=NOW, known_devices={"bp-2"}) == "device"


def test_missing_value_is_rejected():
    assert field_of(observation("8867-4")) == "valueQuantity"


def test_missing_device_is_rejected():
    obs = observation("8867-4", 72)
    del obs["device"]
    assert field_of(obs) == "device"


def test_date_without_time_is_rejected():
    obs = observation("8867-4", 72, effectiveDateTime="2025-01-01")
    assert field_of(obs) == "effectiveDateTime"


def test_inexact_value_is_rejected():
    obs = observation("59408-5", 85)
    obs["valueQuantity"]["comparator"] = "<"
    assert field_of(obs) == "valueQuantity.comparator"


def test_entered_in_error_observation_is_rejected():
    assert field_of(observation("8867-4", 72, status="entered-in-error")) == "status"


def test_blood_pressure_panel_without_components_is_rejected():
    obs = blood_pressure()
    obs["component"] = [{"code": {"coding": [{"system": "http://loinc.org", "code": "8478-0"}]},
                         "valueQuantity": {"value": 90}}]
    assert field_of(obs) == "component"


def test_resource_that_is_neither_observation_nor_bundle_is_rejected():
    assert field_of({"resourceType": "Patient"}) == "resourceType"


def test_bundle_without_observations_is_rejected():
    assert field_of(bundle({"resourceType": "Patient", "id": "p1"})) == "entry"


def test_invalid_fhir_structure_is_rejected_naming_the_field():
    obs = observation("8867-4", 72)
    obs["valueQuantity"]["colour"] = "red"
    assert field_of(obs) == "valueQuantity.colour"


def _about(subject: object) -> dict:
    obs = {"resourceType": "Observation", "status": "final"}
    return obs if subject is None else {**obs, "subject": subject}


@pytest.mark.parametrize("subject", [
    {"reference": "https://elsewhere.example/fhir/Patient/p1"},
    {"identifier": {"system": "urn:mrn", "value": "p1"}},
    {"display": "p1"},
    {"reference": "Group/p1"},
    {"reference": "Patient/p1", "type": "Group"},
    {"reference": "Patient/p2"},
    {"reference": "Patient/p1/_history/2"},
    "Patient/p1",
    None,
], ids=["absolute", "identifier", "display", "group", "typed-group", "other", "versioned",
        "not-an-object", "missing"])
def test_an_observation_not_plainly_about_the_patient_is_refused_naming_its_subject(subject):
    payload = {"resourceType": "Bundle", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p9"}},
        {"resource": _about({"reference": "Patient/p1"})},
        {"resource": _about(subject)}]}
    with pytest.raises(ReadingError) as refused:
        check_subjects(payload, "p1")
    assert refused.value.field == "entry[2].resource.subject"


def test_observations_about_the_patient_pass_and_other_resources_are_not_checked():
    check_subjects({"resourceType": "Bundle", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p9"}},
        {"resource": _about({"reference": "Patient/p1", "display": "Ahmad"})}]}, "p1")
    check_subjects(_about({"reference": "Patient/p1", "type": "Patient"}), "p1")
    with pytest.raises(ReadingError) as refused:
        check_subjects(_about({"reference": "Patient/p2"}), "p1")
    assert refused.value.field == "subject"


def test_entries_and_observations_are_counted_on_the_raw_json():
    payload = {"resourceType": "Bundle", "entry": [
        {"resource": _about(None)}, {"resource": {"resourceType": "Device"}}, "junk"]}
    assert count_entries(payload) == (3, 1)
    assert count_entries(_about(None)) == (0, 1)
    assert count_entries([]) == (0, 0)
