"""Reading validation: impossible or malformed readings are rejected, naming the field."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinical.vitals import (
    CONSCIOUSNESS_LEVELS,
    Reading,
    ReadingError,
    VitalSigns,
    reading_from_json,
    validate_reading,
)

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
GOOD = VitalSigns(
    heart_rate=72, systolic_bp=120, diastolic_bp=80, respiratory_rate=16,
    temperature_c=37.0, spo2=97, on_oxygen=False, blood_glucose=5.5,
    consciousness="alert", pain_scale=2,
)


def reading(**changes) -> Reading:
    return Reading(device_id="ox-1", taken_at=NOW, vitals=replace(GOOD, **changes))


def rejected_field(r: Reading, known_devices=None) -> str:
    with pytest.raises(ReadingError) as caught:
        validate_reading(r, NOW, known_devices)
    return caught.value.field


def test_a_complete_plausible_reading_is_accepted():
    validate_reading(reading(), NOW, {"ox-1"})


@pytest.mark.parametrize(
    "field, value",
    [
        ("heart_rate", 900), ("heart_rate", 19), ("heart_rate", -5),
        ("spo2", 101), ("spo2", 0), ("spo2", -1), ("spo2", 49),
        ("temperature_c", 98.6), ("temperature_c", 24.9), ("temperature_c", 45.1),
        ("systolic_bp", 39), ("systolic_bp", 301),
        ("diastolic_bp", 19),
        ("respiratory_rate", -1), ("respiratory_rate", 81),
        ("blood_glucose", 0.4), ("blood_glucose", 51),
        ("pain_scale", 11), ("pain_scale", -1), ("pain_scale", 4.5),
        ("consciousness", "asleep"), ("consciousness", "Alert"),
        ("heart_rate", float("nan")), ("spo2", float("inf")),
        ("heart_rate", "80"), ("heart_rate", True), ("on_oxygen", "yes"),
    ],
)
def test_impossible_or_malformed_vital_is_rejected_naming_its_field(field, value):
    assert rejected_field(reading(**{field: value})) == field


@pytest.mark.parametrize(
    "field, value",
    [
        ("heart_rate", 20), ("heart_rate", 300), ("spo2", 50), ("spo2", 100),
        ("temperature_c", 25), ("temperature_c", 45), ("systolic_bp", 300),
        ("blood_glucose", 0.5), ("blood_glucose", 50), ("pain_scale", 0), ("pain_scale", 10),
    ],
)
def test_values_at_the_plausible_bounds_are_accepted(field, value):
    changes = {field: value}
    if field == "systolic_bp":
        changes["diastolic_bp"] = 80
    validate_reading(reading(**changes), NOW)


def test_respiratory_rate_zero_is_accepted_as_apnoea():
    validate_reading(reading(respiratory_rate=0), NOW)


def test_fahrenheit_sent_as_celsius_is_rejected_with_a_hint():
    with pytest.raises(ReadingError, match="Fahrenheit") as caught:
        validate_reading(reading(temperature_c=98.6), NOW)
    assert caught.value.field == "temperature_c"


def test_spo2_sent_as_a_fraction_is_rejected_with_a_hint():
    with pytest.raises(ReadingError, match="fraction"):
        validate_reading(reading(spo2=0.97), NOW)


def test_glucose_in_mg_per_dl_is_rejected_with_a_hint():
    with pytest.raises(ReadingError, match="mg/dL"):
        validate_reading(reading(blood_glucose=110), NOW)


@pytest.mark.parametrize("diastolic", [120, 130])
def test_diastolic_not_below_systolic_is_rejected(diastolic):
    assert rejected_field(reading(systolic_bp=120, diastolic_bp=diastolic)) == "diastolic_bp"


def test_naive_timestamp_is_rejected():
    r = replace(reading(), taken_at=datetime(2025, 1, 1, 12, 0))
    assert rejected_field(r) == "taken_at"


def test_timestamp_more_than_5_minutes_ahead_is_rejected():
    r = replace(reading(), taken_at=NOW + timedelta(minutes=5, seconds=1))
    assert rejected_field(r) == "taken_at"


def test_timestamp_up_to_5_minutes_ahead_is_accepted_as_clock_skew():
    validate_reading(replace(reading(), taken_at=NOW + timedelta(minutes=5)), NOW)


def test_unknown_device_is_rejected_when_devices_are_known():
    assert rejected_field(reading(), known_devices={"bp-7"}) == "device_id"


def test_any_device_is_accepted_when_no_device_list_is_given():
    validate_reading(reading(), NOW, None)


def test_blank_device_is_rejected():
    assert rejected_field(replace(reading(), device_id=" ")) == "device_id"


def test_reading_without_any_vital_is_rejected():
    r = Reading(device_id="ox-1", taken_at=NOW, vitals=VitalSigns())
    assert rejected_field(r) == "vitals"


def test_oxygen_flag_alone_is_not_a_vital_sign():
    r = Reading(device_id="ox-1", taken_at=NOW, vitals=VitalSigns(on_oxygen=True))
    assert rejected_field(r) == "vitals"


def test_a_single_vital_is_enough():
    validate_reading(Reading("ox-1", NOW, VitalSigns(spo2=95)), NOW)


def test_error_message_names_field_and_problem():
    with pytest.raises(ReadingError, match=r"^heart_rate: 900 is outside"):
        validate_reading(reading(heart_rate=900), NOW)


@given(st.floats(min_value=100, exclude_min=True, allow_nan=False))
def test_spo2_above_100_is_never_accepted(spo2):
    with pytest.raises(ReadingError):
        validate_reading(Reading("ox-1", NOW, VitalSigns(spo2=spo2)), NOW)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_accepted_heart_rates_are_always_within_20_to_300(rate):
    try:
        validate_reading(Reading("ox-1", NOW, VitalSigns(heart_rate=rate)), NOW)
    except ReadingError:
        return
    assert 20 <= rate <= 300


@given(st.builds(VitalSigns, heart_rate=st.none() | st.integers(20, 300),
                 spo2=st.none() | st.floats(50, 100), pain_scale=st.none() | st.integers(0, 10),
                 on_oxygen=st.none() | st.booleans(),
                 consciousness=st.none() | st.sampled_from(CONSCIOUSNESS_LEVELS)),
       st.integers(-720, 720))
def test_a_reading_decoded_by_hand_equals_temporal_s_generic_decoding(vitals, offset_min) -> None:
    from temporalio.converter import DataConverter

    taken = datetime(2025, 1, 1, 12, 0, tzinfo=timezone(timedelta(minutes=offset_min)))
    converter = DataConverter.default.payload_converter
    payload = converter.to_payload(Reading("ox-1", taken, vitals))
    generic = converter.from_payload(payload, Reading)
    by_hand = reading_from_json(converter.from_payload(payload))
    assert by_hand == generic
    assert [type(getattr(by_hand.vitals, f)) for f in VitalSigns.__dataclass_fields__] == \
        [type(getattr(generic.vitals, f)) for f in VitalSigns.__dataclass_fields__]
    assert by_hand.taken_at.utcoffset() == generic.taken_at.utcoffset()
