"""Bodies for starting, feeding, steering and reading monitoring sessions.

Vital-sign values carry no bounds here on purpose: `clinical.vitals` knows
what is physiologically possible and says why a value is not (Fahrenheit sent
as Celsius, a fraction sent as a percentage), naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from services.schemas.emergencies import LocationIn, Strict, Utc, VitalsIn

MonitoringType = Literal["continuous_vitals", "post_operative", "chronic_condition",
                         "remote_patient", "emergency", "telemetry"]
DeviceType = Literal["ekg_monitor", "pulse_oximeter", "blood_pressure_monitor", "thermometer",
                     "glucose_meter", "respiratory_monitor", "weight_scale", "pacemaker",
                     "insulin_pump", "cpap"]
# One request carries at most this many readings, as JSON or as FHIR Observations.
MAX_READINGS_PER_REQUEST = 500
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:@-]+$")]


class DeviceIn(Strict):
    id: Name
    type: DeviceType


class TimingIn(Strict):
    """The session's clocks; the defaults suit a ward, tests shorten them."""

    hysteresis_s: float = Field(300, ge=0, le=86_400,
                                description="An alarm clears after this long without its cause")
    ack_silence_s: float = Field(900, gt=0, le=86_400,
                                 description="An acknowledged alarm stays quiet this long")
    care_team_escalation_s: float = Field(
        120, gt=0, le=86_400,
        description="A medium alarm unacknowledged this long: SMS the care team and charge nurse")
    flush_interval_s: float = Field(
        0.0, ge=0, le=60, description="Wait up to this long to store readings in bigger batches "
        "(0: store whenever the session is idle; batches still form under load)")
    flush_max: int = Field(100, ge=1, le=500, description="Store as soon as this many wait")
    max_readings_per_run: int = Field(2000, ge=1, le=20_000,
                                      description="Continue-as-new after this many readings")


class SessionCreate(Strict):
    patient_id: Name
    monitoring_type: MonitoringType
    location: LocationIn
    devices: list[DeviceIn] = Field(min_length=1, max_length=50)
    care_team: list[Name] = Field(default_factory=list, max_length=50,
                                  description="Staff paged for medium alarms")
    viewers: list[Name] = Field(default_factory=list, max_length=100,
                                description="Providers who watch and get low-priority notices")
    family_viewers: list[Name] = Field(default_factory=list, max_length=20)
    thresholds: dict[str, Any] = Field(
        default_factory=dict, description="Overrides of the monitoring type's default limits")
    expected_interval_s: float = Field(60, ge=1, le=86_400,
                                       description="Silent for 3 of these: technical alarm")
    timing: TimingIn = Field(default_factory=TimingIn)

    @field_validator("devices")
    @classmethod
    def _unique_devices(cls, devices: list[DeviceIn]) -> list[DeviceIn]:
        ids = [d.id for d in devices]
        if len(set(ids)) != len(ids):
            raise ValueError("device ids must be unique")
        return devices


class ReadingIn(Strict):
    device_id: str = Field(max_length=100)
    taken_at: datetime = Field(description="ISO 8601 with a time zone")
    vitals: VitalsIn


class ReadingBatchIn(Strict):
    readings: list[ReadingIn] = Field(min_length=1, max_length=MAX_READINGS_PER_REQUEST)


class ReadingsAccepted(BaseModel):
    session_id: str
    accepted: int


class ThresholdsUpdate(Strict):
    overrides: dict[str, Any] = Field(min_length=1, description="Limits to change, by name")
    reason: str = Field("", max_length=500)


class AlarmAckOut(BaseModel):
    session_id: str
    key: str
    acknowledged_until: Utc
    time_to_acknowledge_s: float | None


class SessionPublic(BaseModel):
    id: str
    patient_id: str
    monitoring_type: str
    facility_id: str
    location: dict[str, Any]
    short_code: str
    devices: list[dict[str, Any]]
    care_team: list[str]
    viewers: list[str]
    family_viewers: list[str]
    thresholds: dict[str, Any]
    expected_interval_s: float
    timing: dict[str, Any]
    status: str
    readings: int
    latest_news2: int | None
    latest_priority: str | None
    active_alarms: list[dict[str, Any]]
    emergencies: list[str]
    summary: dict[str, Any] | None
    created_by: str
    created_at: Utc
    updated_at: Utc
    last_reading_at: Utc | None
    ended_at: Utc | None


class SessionDetail(SessionPublic):
    live: dict[str, Any] | None = Field(None, description="The workflow's state right now")


class EndBody(Strict):
    reason: str = Field("", max_length=500)


class PointOut(BaseModel):
    seq: int
    device_id: str
    taken_at: Utc
    vitals: dict[str, Any]
    news2: int | None
    news2_complete: bool
    trend: str
    priority: str


class TimeSeries(BaseModel):
    session_id: str
    points: list[PointOut]
    series: dict[str, list[tuple[Utc, float]]] = Field(
        description="Per vital sign (and news2): [time, value] pairs, oldest first, for charts")
