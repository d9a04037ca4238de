"""Demo data for a fresh stack: a facility, its on-call staff, a policy per severity, and patients
with a family member they have authorised."""

from __future__ import annotations

from typing import Any

from audit.chain import append as audit
from db.engine import writing
from db.models import Caregiver, Consent, EscalationPolicy, Facility, Patient, Staff
from services.schemas.people import PatientPreferences

FACILITY_ID, FACILITY_LAT, FACILITY_LON = "vigil-general", 3.1390, 101.6869


def demo_facility() -> Facility:
    return Facility(id=FACILITY_ID, name="Vigil General Hospital",
                    latitude=FACILITY_LAT, longitude=FACILITY_LON)

# (id, name, role, provider type, on call, emergency capable, charge nurse, specialisations,
#  metres north of the facility's reference point, language)
_PEOPLE: list[tuple[Any, ...]] = [
    ("dr-tan", "Dr Mei Tan", "provider", "emergency", True, True, False,
     ["emergency_medicine", "resuscitation"], 40, "en"),
    ("dr-aziz", "Dr Farid Aziz", "provider", "emergency", True, True, False,
     ["emergency_medicine", "trauma"], 250, "ms"),
    ("dr-lim", "Dr Wei Lim", "provider", "primary_care", True, True, False, [], 120, "zh"),
    ("dr-kumar", "Dr Priya Kumar", "provider", "specialist", True, True, False,
     ["cardiology"], 600, "ta"),
    ("rrt-wong", "Alex Wong (RRT)", "provider", "rapid_response", True, True, False,
     ["resuscitation"], 80, "en"),
    ("nurse-siti", "Siti Rahman, RN", "provider", "nurse", True, False, False, [], 30, "ms"),
    ("nurse-mei", "Mei Ling Chua, RN (charge)", "provider", "nurse", True, False, True, [], 60, "zh"),
    ("dr-offduty", "Dr Off Duty", "provider", "emergency", False, True, False,
     ["emergency_medicine"], 10, "en"),
    ("admin-raj", "Raj Pillai (admin)", "admin", None, False, False, False, [], 300, "en"),
    ("coord-lee", "Grace Lee (coordinator)", "coordinator", None, False, False, False, [], 0, "en"),
    ("auditor-ng", "Kim Ng (auditor)", "auditor", None, False, False, False, [], 0, "en"),
]


def demo_staff() -> list[Staff]:
    people = []
    for n, (sid, name, role, ptype, on_call, capable, charge, specs, north_m, lang) in enumerate(_PEOPLE):
        people.append(Staff(
            id=sid, name=name, role=role, provider_type=ptype, facility_id=FACILITY_ID,
            on_call=on_call, emergency_capable=capable, charge_nurse=charge,
            specialisations=specs, phone=f"+6012000{n:04d}", email=f"{sid}@vigil.example",
            push_token=f"demo-push-token-{sid}", language=lang,
            latitude=FACILITY_LAT + north_m / 111_320, longitude=FACILITY_LON,
        ))
    return people


def _tiers(timeout_s: float) -> list[dict[str, Any]]:
    return [
        {"name": "Emergency responders", "targets": "responders", "ack_timeout_s": timeout_s},
        {"name": "Charge nurse", "targets": "charge_nurse", "ack_timeout_s": timeout_s},
        {"name": "Every on-call provider", "targets": "on_call", "ack_timeout_s": timeout_s},
        {"name": "Facility admins", "targets": "admins", "ack_timeout_s": timeout_s},
    ]


def _steps(*pairs: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"channel": channel, "after_s": after} for channel, after in pairs]


def demo_policies() -> list[EscalationPolicy]:
    """SPEC §3.1 defaults: critical pages three channels at once and calls after 30 s, ..."""
    now = ("websocket", 0), ("push", 0)
    return [
        EscalationPolicy(id="critical-default", name="Critical: all hands", severity="critical",
                         channels=_steps(*now, ("sms", 0), ("voice", 30)), tiers=_tiers(90),
                         repeat_count=1),
        EscalationPolicy(id="emergent-default", name="Emergent", severity="emergent",
                         channels=_steps(*now, ("sms", 60)), tiers=_tiers(120), repeat_count=1),
    ] + [
        EscalationPolicy(id=f"{sev}-default", name=sev.replace("_", "-").title(), severity=sev,
                         channels=_steps(*now), tiers=_tiers(300), repeat_count=0)
        for sev in ("urgent", "semi_urgent", "non_urgent")
    ]


def demo_patients() -> list[Patient]:
    """Three patients at home in Kuala Lumpur; the first observes prayer times and Ramadan."""
    devout = PatientPreferences.model_validate({
        "quiet_hours": {"start": "22:00", "end": "07:00"}, "prayer": {"enabled": True},
        "ramadan_mode": True, "halal_only": True}).model_dump(mode="json")
    plain = PatientPreferences().model_dump(mode="json")
    home = {"home_latitude": 3.1570, "home_longitude": 101.7123, "time_zone": "Asia/Kuala_Lumpur"}
    return [
        Patient(id="patient-001", name="Nur Aisyah binti Ahmad", language="ms",
                phone="+60130000001", preferences=devout, **home),
        Patient(id="patient-002", name="Tan Ah Kow", language="zh", phone="+60130000002",
                preferences=plain, **home),
        Patient(id="patient-003", name="Muthu a/l Raman", language="ta", phone="+60130000003",
                preferences=plain, **home),
    ]


def demo_family() -> tuple[list[Caregiver], list[Consent]]:
    """Ahmad, patient-001's son, authorised by her for everything and as an escalation contact."""
    son = Caregiver(id="fam-1", name="Ahmad bin Hassan", relationship="son", language="ms",
                    phone="+60130000101", email="fam-1@vigil.example")
    consent = Consent(id="consent-demo-fam-1", patient_id="patient-001", person_id=son.id,
                      scopes=["emergencies", "monitoring", "medication", "appointments"],
                      escalation_contact=True, granted_by="patient-001")
    return [son], [consent]


def seed_demo() -> int:
    """Insert whatever demo rows are missing; returns how many were added."""
    added = 0
    caregivers, consents = demo_family()
    with writing() as session:
        # In dependency order: a consent needs its patient and caregiver in place first.
        for group in ([demo_facility(), *demo_staff(), *demo_policies(), *demo_patients()],
                      caregivers, consents):
            for row in group:
                if session.get(type(row), row.id) is None:
                    session.add(row)
                    added += 1
            session.flush()
        if added:
            audit(session, actor="vigil", action="demo.seeded", subject="demo",
                  detail={"rows": added})
    return added
