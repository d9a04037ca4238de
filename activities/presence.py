"""Whether someone has an inbox WebSocket open now: the one answer to "are they offline?".

An activity, so the workflow that asks (an appointment deciding whether the patient
also gets an email) sees the answer recorded in its history and replays it as it was.
The API keeps the LiveSocket rows (services/presence.py); a row not refreshed within
STALE_AFTER was left by an API process that died and counts for nothing.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select
from temporalio import activity

from db.engine import reading
from db.models import LiveSocket, utcnow

# An open socket's row is refreshed this often; one older than STALE_AFTER is a dead process's.
REFRESH_EVERY = timedelta(seconds=30)
STALE_AFTER = timedelta(seconds=90)


@dataclass
class PresenceQuery:
    person_id: str


def is_online(person_id: str) -> bool:
    """Whether this person has a WebSocket open, as the API processes last said."""
    since = utcnow() - STALE_AFTER
    with reading() as session:
        found = session.exec(select(LiveSocket.id).where(
            LiveSocket.person_id == person_id, LiveSocket.seen_at >= since).limit(1)).first()
    return found is not None


class PresenceActivities:
    @activity.defn(name="person_online")
    def online(self, query: PresenceQuery) -> bool:
        """True while the person has an inbox WebSocket open; False means offline."""
        return is_online(query.person_id)
