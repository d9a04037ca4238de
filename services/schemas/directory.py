"""Bodies for the staff directory, facilities and escalation policies."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.schemas.text import RequestModel
from settings import get_settings

from services.schemas.emergencies import Channel, Severity, Utc
from workflows.policy import TARGET_SELECTORS

StaffRole = Literal["provider", "coordinator", "admin", "auditor"]
ProviderType = Literal["emergency", "primary_care", "specialist", "nurse", "rapid_response"]
Language = Literal["en", "ms", "zh", "ta"]
PHONE = r"^\+[1-9][0-9]{6,14}$"  # E.164


Strict = RequestModel  # every request body: see services/schemas/text.py


class FacilityIn(Strict):
    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=200)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class StaffIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    role: StaffRole
    provider_type: ProviderType | None = None
    facility_id: str | None = None
    on_call: bool = False
    emergency_capable: bool = False
    charge_nurse: bool = False
    specialisations: list[str] = Field(default_factory=list, max_length=20)
    phone: str | None = Field(None, pattern=PHONE, description="E.164, e.g. +60123456789")
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    push_token: str | None = Field(None, max_length=4096)
    language: Language = "en"
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)

    @field_validator("provider_type")
    @classmethod
    def _only_providers(cls, value: str | None, info) -> str | None:  # type: ignore[no-untyped-def]
        if value is not None and info.data.get("role") != "provider":
            raise ValueError("only providers have a provider_type")
        return value


class StaffCreate(StaffIn):
    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")


class StaffPublic(StaffCreate):
    model_config = ConfigDict(extra="ignore")


class ChannelStepIn(Strict):
    channel: Channel
    after_s: float = Field(0, ge=0, le=3600)


class TierIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    targets: str = Field(description=f"One of {', '.join(TARGET_SELECTORS)}, staff:<id>, or "
                                     "schedule:<id> (whoever that on-call schedule names when "
                                     "the tier is paged)")
    ack_timeout_s: float = Field(gt=0, le=86400, description="At least "
                                 "VIGIL_POLICY_MIN_ACK_TIMEOUT_S (5 s): time to see and answer")

    @field_validator("ack_timeout_s")
    @classmethod
    def _time_to_answer(cls, value: float) -> float:
        # Below a few seconds a tier escalates before its own page has been delivered.
        floor = get_settings().policy_min_ack_timeout_s
        if value < floor:
            raise ValueError(f"must be at least {floor:g} s, time for a person to see and answer")
        return value

    @field_validator("targets")
    @classmethod
    def _known_selector(cls, value: str) -> str:
        if value in TARGET_SELECTORS or any(value.startswith(prefix) and len(value) > len(prefix)
                                            for prefix in ("staff:", "schedule:")):
            return value
        raise ValueError(f"targets must be one of {', '.join(TARGET_SELECTORS)}, staff:<id> "
                         "or schedule:<id>")


class PolicyIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    severity: Severity | None = Field(None, description="Make this the default for a severity.")
    channels: list[ChannelStepIn] = Field(min_length=1, max_length=10)
    tiers: list[TierIn] = Field(min_length=1, max_length=10)
    repeat_count: int = Field(0, ge=0, le=10)

    @field_validator("channels")
    @classmethod
    def _each_channel_once(cls, value: list[ChannelStepIn]) -> list[ChannelStepIn]:
        names = [step.channel for step in value]
        if len(set(names)) != len(names):
            raise ValueError("each channel may appear once")
        return value


class PolicyCreate(PolicyIn):
    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")


class PolicyPublic(PolicyCreate):
    model_config = ConfigDict(extra="ignore")
    version: int
    updated_at: Utc
    warnings: list[str] = Field(default_factory=list, description="Saved, but: tiers that "
                                "would page nobody at any facility right now")
