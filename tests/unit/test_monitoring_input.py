"""A session's carried input decodes by hand exactly as Temporal's generic converter would."""

from datetime import UTC, datetime, timedelta

from temporalio.converter import DataConverter

from clinical.thresholds import default_thresholds
from clinical.vitals import Reading, VitalSigns
from workflows.monitoring_types import (
    Device,
    SessionInput,
    SessionState,
    TrendPoint,
    session_input_from_json,
)

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def _input(carried: SessionState | None) -> SessionInput:
    return SessionInput(
        session_id="s", patient_id="p", monitoring_type="continuous_vitals", facility_id="f",
        location={"room": "12"}, short_code="M00001", devices=[Device("ox-1", "pulse_oximeter")],
        care_team=["n"], viewers=[], family_viewers=[],
        thresholds=default_thresholds("continuous_vitals"), expected_interval_s=60,
        created_by="c", emergency_task_queue="q", carried=carried)


def _same_as_generic(data: SessionInput) -> None:
    converter = DataConverter.default.payload_converter
    payload = converter.to_payload(data)
    assert session_input_from_json(converter.from_payload(payload)) == \
        converter.from_payload(payload, SessionInput)


def test_a_first_run_s_input_decodes_as_the_generic_converter_would() -> None:
    _same_as_generic(_input(None))


def test_a_carried_state_with_readings_and_trend_decodes_as_the_generic_converter_would() -> None:
    state = SessionState(
        thresholds=default_thresholds("continuous_vitals"), started_at=NOW,
        last_seen={"ox-1": NOW}, evaluated=7,
        trend=[TrendPoint(NOW - timedelta(minutes=m), m % 5) for m in range(30)],
        pending=[Reading("ox-1", NOW + timedelta(seconds=i), VitalSigns(spo2=97, heart_rate=70))
                 for i in range(30)])
    _same_as_generic(_input(state))
