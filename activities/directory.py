"""Who to page: the staff directory lookup behind every tier, and its ordering rule.

On call means on call by a schedule now: anyone a schedule's layer or override
names is on call exactly when the rota says so (clinical/oncall.py), whatever
their `on_call` flag. The flag still decides for staff no schedule names.
A tier naming `schedule:<id>` pages whoever that schedule has on call at the
moment the tier is paged. Tier 1 is looked up by the API as it starts the
emergency (the answer travels in the workflow's input); later tiers by a local
activity. Either way the answer is in the workflow's history, and a replay
never asks the rota again.
"""

import math
from dataclasses import dataclass, field

from sqlmodel import Session, select
from temporalio import activity

from activities.schedules import load_schedule
from clinical.oncall import who_is_on_call
from db.engine import reading
from db.models import Facility, OnCallSchedule, Staff, utcnow
from workflows.emergency_types import EmergencyInput, Target

_EARTH_RADIUS_M = 6_371_000.0


@dataclass
class TargetQuery:
    selector: str  # responders, charge_nurse, on_call, admins, all_admins, staff:<id>, schedule:<id>
    facility_id: str
    specialisations: list[str] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None


def tier_query(emergency: EmergencyInput, selector: str) -> TargetQuery:
    """The lookup of a tier's people for an emergency: its facility, the specialisations it
    needs, and where it is (nearest first)."""
    return TargetQuery(selector=selector, facility_id=emergency.facility_id,
                       specialisations=emergency.required_specialisations,
                       latitude=emergency.location.get("latitude"),
                       longitude=emergency.location.get("longitude"))


def on_duty_query(facility_id: str) -> TargetQuery:
    """Who is on duty at a facility: the one place that says so. Today it is the directory's
    on-call flags (the same the emergency tiers use); on-call schedules will replace this."""
    return TargetQuery(selector="on_call", facility_id=facility_id)


def emergency_priority(role: str, provider_type: str | None) -> int:
    """SPEC §2: emergency providers, then primary care and admins, then providers, then others."""
    if role == "provider" and provider_type == "emergency":
        return 0
    if (role == "provider" and provider_type == "primary_care") or role == "admin":
        return 1
    if role == "provider":
        return 2
    return 3


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(a))


def order_targets(people: list[Staff], latitude: float | None, longitude: float | None) -> list[Target]:
    """Order by emergency priority, then nearest first; unknown positions go last in their rank."""
    targets = []
    for person in people:
        far = None
        if None not in (latitude, longitude, person.latitude, person.longitude):
            far = distance_m(latitude, longitude, person.latitude, person.longitude)  # type: ignore[arg-type]
        targets.append(Target(person.id, person.name, person.role, person.provider_type, far))
    return sorted(
        targets,
        key=lambda t: (emergency_priority(t.role, t.provider_type),
                       math.inf if t.distance_m is None else t.distance_m, t.staff_id),
    )


@dataclass
class Rota:
    """Who the schedules name now (`on`), and everyone they name at all (`rostered`)."""

    on: set[str] = field(default_factory=set)
    rostered: set[str] = field(default_factory=set)

    def on_call(self, person: Staff) -> bool:
        return person.id in self.on if person.id in self.rostered else person.on_call


def rota_now(session: Session) -> Rota:
    """Every schedule's answer now; the flag stands in for people no schedule names."""
    rota, now = Rota(), utcnow()
    for schedule_id in session.exec(select(OnCallSchedule.id)).all():
        schedule = load_schedule(session, schedule_id)
        if schedule is None:
            continue
        for layer in schedule.layers:
            rota.rostered.update(layer.members)
        rota.rostered.update(o.person for o in schedule.overrides)
        person = who_is_on_call(schedule, now).person
        if person:
            rota.on.add(person)
    return rota


def on_schedule_now(session: Session, schedule_id: str) -> str | None:
    """Who a schedule has on call now (None: a gap, or no such schedule)."""
    schedule = load_schedule(session, schedule_id)
    return who_is_on_call(schedule, utcnow()).person if schedule else None


def _matches(person: Staff, query: TargetQuery, rota: Rota) -> bool:
    selector = query.selector
    at_facility = person.facility_id == query.facility_id
    if selector.startswith("staff:"):
        return person.id == selector.removeprefix("staff:")
    if selector == "all_admins":
        return person.role == "admin" and person.facility_id in (query.facility_id, None)
    if not at_facility:
        return False
    if selector == "admins":
        return person.role == "admin"
    if selector == "on_call":
        return person.role == "provider" and rota.on_call(person)
    if selector == "charge_nurse":
        return person.charge_nurse and rota.on_call(person)
    if selector == "responders":
        wanted = set(query.specialisations)
        return (person.role == "provider" and rota.on_call(person) and person.emergency_capable
                and wanted.issubset(person.specialisations or []))
    raise ValueError(f"unknown target selector {selector!r}")


def _candidates(session: Session, query: TargetQuery) -> list[Staff]:
    """Everyone who might match (`_matches` decides): narrowed in SQL, so a tier's lookup
    reads its few candidates, not the whole directory."""
    selector, wanted = query.selector, select(Staff)
    if selector.startswith("staff:"):
        person = session.get(Staff, selector.removeprefix("staff:"))
        return [person] if person else []
    if selector == "all_admins":
        wanted = wanted.where(Staff.role == "admin")
    else:
        wanted = wanted.where(Staff.facility_id == query.facility_id)
    if selector == "admins":
        wanted = wanted.where(Staff.role == "admin")
    elif selector == "on_call":
        wanted = wanted.where(Staff.role == "provider")
    elif selector == "charge_nurse":
        wanted = wanted.where(Staff.charge_nurse == True)  # noqa: E712 - SQL, not Python
    elif selector == "responders":
        wanted = wanted.where(Staff.role == "provider",
                              Staff.emergency_capable == True)  # noqa: E712
    return list(session.exec(wanted).all())


def find_targets(query: TargetQuery) -> list[Target]:
    """Everyone the selector names, in the order they should be paged."""
    with reading() as session:
        if query.selector.startswith("schedule:"):
            person = on_schedule_now(session, query.selector.removeprefix("schedule:"))
            people = [p for p in [session.get(Staff, person)] if p] if person else []
        else:
            rota = rota_now(session)
            people = [p for p in _candidates(session, query) if _matches(p, query, rota)]
        lat, lon = query.latitude, query.longitude
        if lat is None or lon is None:
            facility = session.get(Facility, query.facility_id)
            if facility:
                lat, lon = facility.latitude, facility.longitude
    return order_targets(people, lat, lon)


class DirectoryActivities:
    @activity.defn(name="resolve_targets")
    def resolve_targets(self, query: TargetQuery) -> list[Target]:
        """Look up who a tier pages, in priority order."""
        return find_targets(query)
