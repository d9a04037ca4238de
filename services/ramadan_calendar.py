"""Keep the Ramadan calendar: admins set each Hijri year's dates by sighting; staff read it.

A year with no row uses the computed Umm al-Qura dates (clinical/ramadan.py).
A date set here must be a 29- or 30-day month starting within three days of the
computed start, so a typo (a wrong year, a swapped month) is a 422 naming the
field rather than a month of reminders at the wrong hours. Every change is audited.
"""

from __future__ import annotations

from datetime import date, timedelta

from hijridate import Gregorian
from sqlmodel import col, select

from audit.chain import append as audit
from clinical.ramadan import ramadan_bounds
from db.engine import reading, writing
from db.models import RamadanDates, utcnow
from services.errors import VigilError, not_found
from services.principal import Principal
from services.schemas.calendar import RamadanDatesIn, RamadanDatesPublic

FIRST_YEAR, LAST_YEAR = 1344, 1499  # the years the Hijri calendar library computes
MOST_SHIFT_DAYS = 3


def _invalid(field: str, message: str) -> VigilError:
    return VigilError(422, "invalid_request", f"{field}: {message}",
                      [{"field": field, "message": message}])


def _computed(hijri_year: int) -> tuple[date, date]:
    if not FIRST_YEAR <= hijri_year <= LAST_YEAR:
        raise _invalid("hijri_year", f"between {FIRST_YEAR} and {LAST_YEAR}")
    return ramadan_bounds(hijri_year)


def _public(row: RamadanDates) -> RamadanDatesPublic:
    return RamadanDatesPublic(hijri_year=row.hijri_year, first_day=row.first_day,
                              last_day=row.last_day, source="sighted", note=row.note,
                              set_by=row.set_by, updated_at=row.updated_at)


def this_hijri_year() -> int:
    today = date.today()
    return Gregorian(today.year, today.month, today.day).to_hijri().year


def calendar(*, from_year: int, to_year: int) -> list[RamadanDatesPublic]:
    """Each Hijri year from `from_year` to `to_year`: sighted where set, else computed."""
    _computed(from_year), _computed(to_year)
    if to_year < from_year or to_year - from_year > 50:
        raise _invalid("to_year", "from from_year, at most 50 years")
    with reading() as session:
        rows = {r.hijri_year: r for r in session.exec(select(RamadanDates).where(
            col(RamadanDates.hijri_year) >= from_year, col(RamadanDates.hijri_year) <= to_year))}
    found = []
    for year in range(from_year, to_year + 1):
        if year in rows:
            found.append(_public(rows[year]))
        else:
            first, last = ramadan_bounds(year)
            found.append(RamadanDatesPublic(hijri_year=year, first_day=first, last_day=last,
                                            source="computed"))
    return found


def set_dates(*, hijri_year: int, body: RamadanDatesIn, principal: Principal) -> RamadanDatesPublic:
    """Record the sighted dates of one year (replacing any set before), audited."""
    computed_first, _ = _computed(hijri_year)
    if abs((body.first_day - computed_first).days) > MOST_SHIFT_DAYS:
        raise _invalid("first_day", f"Ramadan {hijri_year} is computed to start "
                       f"{computed_first}; a sighting moves it by at most {MOST_SHIFT_DAYS} days")
    if (body.last_day - body.first_day + timedelta(days=1)).days not in (29, 30):
        raise _invalid("last_day", "Ramadan lasts 29 or 30 days")
    with writing() as session:
        row = session.get(RamadanDates, hijri_year)
        before = _public(row).model_dump(mode="json") if row else None
        row = row or RamadanDates(hijri_year=hijri_year, first_day=body.first_day,
                                  last_day=body.last_day, set_by=principal.sub)
        row.first_day, row.last_day, row.note = body.first_day, body.last_day, body.note
        row.set_by, row.updated_at = principal.sub, utcnow()
        session.add(row)
        after = _public(row).model_dump(mode="json")
        audit(session, actor=principal.sub, action="ramadan_calendar.set",
              subject=f"ramadan-{hijri_year}", detail={"before": before, "after": after})
        return RamadanDatesPublic.model_validate(after)


def clear_dates(*, hijri_year: int, principal: Principal) -> RamadanDatesPublic:
    """Go back to the computed dates for one year, audited."""
    with writing() as session:
        row = session.get(RamadanDates, hijri_year)
        if row is None:
            raise not_found("sighted Ramadan", str(hijri_year))
        before = _public(row).model_dump(mode="json")
        session.delete(row)
        audit(session, actor=principal.sub, action="ramadan_calendar.cleared",
              subject=f"ramadan-{hijri_year}", detail={"before": before})
    first, last = _computed(hijri_year)
    return RamadanDatesPublic(hijri_year=hijri_year, first_day=first, last_day=last,
                              source="computed")
