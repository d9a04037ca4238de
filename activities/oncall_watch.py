"""What a schedule's watcher reads: the hand-offs coming, the gaps within a week, whom to tell.

Read when the workflow looks, through the one resolver, so the answer is the
rota as it stands now; the workflow's history records it, so replay repeats it.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import col, select
from temporalio import activity

from activities.schedules import load_schedule
from clinical.oncall_watch import watch
from db.engine import reading
from db.models import OnCallSchedule, Staff
from workflows.oncall_watch_types import (
    PREFERENCE,
    GapNotice,
    HandOffNotice,
    RotaLook,
    RotaLookRequest,
    Window,
)

LOCAL = "%a %d %b %H:%M"


def preferred_channel(person: Staff | None) -> str:
    """The first channel the person has an address for; the app's inbox otherwise."""
    addresses = {"push": person.push_token, "sms": person.phone, "email": person.email} \
        if person else {}
    return next((channel for channel in PREFERENCE if addresses.get(channel)), "websocket")


class OnCallWatchActivities:
    @activity.defn(name="look_at_rota")
    def look(self, request: RotaLookRequest) -> RotaLook:
        """The schedule's coming hand-offs and gaps as of `request.now`."""
        with reading() as session:
            row = session.get(OnCallSchedule, request.schedule_id)
            schedule = load_schedule(session, request.schedule_id)
            if row is None or schedule is None:
                return RotaLook(exists=False)
            zone = ZoneInfo(row.time_zone)
            notice = timedelta(minutes=row.handoff_notice_minutes)
            handoffs, gaps = watch(schedule, request.now, max(timedelta(days=7), notice))
            people = {p.id: p for p in session.exec(select(Staff).where(
                col(Staff.id).in_({h.person for h in handoffs}))).all()}
            # As the `all_admins` tier selector: the facility's admins and those of no facility.
            admins = session.exec(select(Staff.id).where(
                Staff.role == "admin", or_(col(Staff.facility_id) == row.facility_id,
                                           col(Staff.facility_id).is_(None)))).all()
        return RotaLook(
            exists=True, schedule_name=row.name, notice_s=notice.total_seconds(),
            handoffs=[HandOffNotice(h.person, preferred_channel(people.get(h.person)),
                                    h.starts_at, h.ends_at,
                                    h.starts_at.astimezone(zone).strftime(LOCAL), h.source)
                      for h in handoffs],
            gaps=[GapNotice(Window(g.starts_at, g.ends_at),
                            g.starts_at.astimezone(zone).strftime(LOCAL),
                            g.ends_at.astimezone(zone).strftime(LOCAL) if g.ends_at else "")
                  for g in gaps],
            admins=sorted(admins))
