"""Read a stored on-call schedule as the resolver's value (clinical/oncall.py).

The directory lookup behind escalation tiers and the on-call API both read
schedules through here, so they give one answer for the same rows.
"""

from __future__ import annotations

from datetime import time

from sqlmodel import Session, col, select

from clinical.oncall import Layer, Override, Schedule, Window
from db.models import OnCallLayer, OnCallOverride, OnCallSchedule, as_utc


def window_of(stored: dict) -> Window:
    """{"days": [0, 1], "opens": "20:00", "closes": "08:00"} as a Window."""
    return Window(tuple(stored["days"]), time.fromisoformat(stored["opens"]),
                  time.fromisoformat(stored["closes"]))


def layer_of(row: OnCallLayer) -> Layer:
    start = row.rotation_start.replace(tzinfo=None)  # local wall time, stored naive
    return Layer(id=row.id, members=tuple(row.members), rotation_start=start, turn=row.turn,
                 turn_hours=row.turn_hours, priority=row.priority,
                 windows=tuple(window_of(w) for w in row.windows or []))


def override_of(row: OnCallOverride) -> Override:
    return Override(id=row.id, person=row.person, starts_at=as_utc(row.starts_at),  # type: ignore[arg-type]
                    ends_at=as_utc(row.ends_at))  # type: ignore[arg-type]


def load_schedule(session: Session, schedule_id: str) -> Schedule | None:
    """The schedule with its layers and overrides, or None (layer priorities are distinct)."""
    row = session.get(OnCallSchedule, schedule_id)
    if row is None:
        return None
    layers = session.exec(select(OnCallLayer).where(OnCallLayer.schedule_id == schedule_id)
                          .order_by(col(OnCallLayer.id))).all()
    overrides = session.exec(select(OnCallOverride)
                             .where(OnCallOverride.schedule_id == schedule_id)
                             .order_by(col(OnCallOverride.starts_at))).all()
    return Schedule(id=row.id, time_zone=row.time_zone,
                    layers=tuple(layer_of(layer) for layer in layers),
                    overrides=tuple(override_of(o) for o in overrides))


def schedules_with(session: Session, person: str) -> list[str]:
    """Ids of every schedule naming `person` in a layer or an override."""
    found = {o.schedule_id for o in session.exec(
        select(OnCallOverride).where(OnCallOverride.person == person)).all()}
    found |= {layer.schedule_id for layer in session.exec(select(OnCallLayer)).all()
              if person in (layer.members or [])}
    return sorted(found)

