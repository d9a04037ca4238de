"""The Ramadan calendar admins keep: set by sighting, read by staff, audited; the day planner
consults it before the computed dates, so schedules follow the announcement."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
from sqlmodel import select

from activities.care_directory import PatientDirectory
from activities.medication_plans import DayPlanRequest, MedicationPlanActivities
from cli.stack import Stack
from clinical.dose_plan import DayPlan
from clinical.dose_times import DoseSchedule
from clinical.ramadan import ramadan_bounds
from db.engine import reading, writing
from db.models import AuditEntry, RamadanDates
from tests.utils.api import as_user
from workflows.medication_types import Medication, Preferences, Terms

pytestmark = pytest.mark.e2e
YEAR = 1496  # 2073: no other test's schedule runs then


def plan_for(day: str, *, ramadan_mode: bool = True) -> DayPlanRequest:
    prefs = Preferences(zone="Asia/Kuala_Lumpur", latitude=3.139, longitude=101.6869,
                        ramadan_mode=ramadan_mode)
    terms = Terms([Medication("m1", "Metformin", "500 mg")],
                  DoseSchedule(start_date=day, end_date=day, times=["08:00", "20:00"]))
    now = datetime.combine(datetime.fromisoformat(day).date() - timedelta(days=1), time(),
                           tzinfo=timezone.utc)
    return DayPlanRequest("medication-fx", "patient-fx", terms, prefs, now, day)


def _slots(plan: DayPlan) -> list[str]:
    return [d.dose_id.split("T")[-1] for d in plan.doses]  # "2073-06-10Tsuhoor" -> "suhoor"


def test_the_day_planner_puts_the_admins_sighting_before_the_computed_dates(
        sqlite_db: str) -> None:
    first, _ = ramadan_bounds(YEAR)
    planner = MedicationPlanActivities(PatientDirectory())
    assert planner.plan_day(plan_for(first.isoformat())).plan.ramadan  # computed: day one
    with writing() as session:  # sighted a day later
        session.add(RamadanDates(hijri_year=YEAR, first_day=first + timedelta(days=1),
                                 last_day=first + timedelta(days=30), set_by="admin-raj"))
    try:
        plan = planner.plan_day(plan_for(first.isoformat())).plan
        assert not plan.ramadan and _slots(plan) == ["08:00", "20:00"]
        sighted = planner.plan_day(plan_for((first + timedelta(days=30)).isoformat())).plan
        assert sighted.ramadan and _slots(sighted) == ["suhoor", "iftar"]
        off = planner.plan_day(plan_for((first + timedelta(days=30)).isoformat(),
                                        ramadan_mode=False)).plan
        assert not off.ramadan  # Ramadan mode off: the calendar is not even read for it
    finally:
        with writing() as session:
            session.delete(session.get(RamadanDates, YEAR))


async def test_admins_set_and_clear_a_years_dates_staff_read_them_and_bad_dates_name_the_field(
        stack: Stack) -> None:
    first, last = ramadan_bounds(YEAR - 1)
    async with as_user(stack.api_url, "admin-raj", "admin") as admin, \
            as_user(stack.api_url, "dr-tan", "provider") as provider:
        refused = {
            "first_day": {"first_day": str(first + timedelta(days=10)),
                          "last_day": str(first + timedelta(days=39))},
            "last_day": {"first_day": str(first), "last_day": str(first + timedelta(days=34))},
            "body.first_day": {"first_day": "1 Ramadan", "last_day": str(last)},
        }
        for field, body in refused.items():
            answer = await admin.put(f"/ramadan-calendar/{YEAR - 1}", json=body)
            assert answer.status_code == 422, answer.text
            assert answer.json()["error"]["details"][0]["field"] == field, answer.text
        far = await admin.put("/ramadan-calendar/1600", json={"first_day": str(first),
                                                              "last_day": str(last)})
        assert far.status_code == 422 and "hijri_year" in far.text
        with reading() as session:
            assert session.get(RamadanDates, YEAR - 1) is None  # nothing half-applied

        sighted = {"first_day": str(first + timedelta(days=1)), "last_day": str(last),
                   "note": "announced by the Keeper of the Rulers' Seal"}
        answer = await admin.put(f"/ramadan-calendar/{YEAR - 1}", json=sighted)
        assert answer.status_code == 200, answer.text
        assert answer.json()["source"] == "sighted" and answer.json()["set_by"] == "admin-raj"
        listed = await provider.get("/ramadan-calendar", params={"from_year": YEAR - 2,
                                                                  "to_year": YEAR - 1})
        assert [(y["hijri_year"], y["source"], y["first_day"]) for y in listed.json()] == [
            (YEAR - 2, "computed", str(ramadan_bounds(YEAR - 2)[0])),
            (YEAR - 1, "sighted", sighted["first_day"])]
        assert (await provider.put(f"/ramadan-calendar/{YEAR - 1}", json=sighted)
                ).status_code == 403
        cleared = await admin.delete(f"/ramadan-calendar/{YEAR - 1}")
        assert cleared.status_code == 200 and cleared.json()["source"] == "computed"
        assert (await admin.delete(f"/ramadan-calendar/{YEAR - 1}")).status_code == 404
    with reading() as session:
        trail = session.exec(select(AuditEntry).where(
            AuditEntry.subject == f"ramadan-{YEAR - 1}")).all()
    assert [(e.action, e.actor) for e in trail] == [("ramadan_calendar.set", "admin-raj"),
                                                    ("ramadan_calendar.cleared", "admin-raj")]
    assert trail[0].detail["after"]["note"] == sighted["note"]
