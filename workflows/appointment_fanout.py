"""Who hears of an appointment update, on which channels: the rule of SPEC §3.4, pure.

- Always the patient; always the provider (checked_in and patient_delay raise
  the provider's urgency one step: someone is waiting, or late).
- The care team, for an emergency appointment.
- On-duty staff of the facility, for checked_in, room_change and emergency.
- The clinic's coordinators, for a no-show.
- Caregivers and family whose consent covers appointments: the patient's own
  updates, in plain words (their own message kind), never more than WebSocket
  and push: they are kept informed, not paged.
Urgency picks the channels: critical every channel, high WebSocket and push,
otherwise WebSocket, and email too for a patient who is offline (no inbox
WebSocket open: the workflow asks an activity). An update type can raise the
appointment's urgency, never lower it.
"""

from dataclasses import dataclass

from workflows.appointment_types import URGENCIES

CHANNELS_BY_URGENCY = {
    "critical": ["websocket", "push", "sms", "voice", "email"],
    "high": ["websocket", "push"],
    "normal": ["websocket"],
    "low": ["websocket"],
}
# Where a channel that fails for good falls through to.
FALLBACK = ["websocket", "push", "sms", "email"]
FAMILY_CHANNELS = ("websocket", "push")
# The least urgency an update type carries, whatever the appointment's own.
UPDATE_URGENCY = {"emergency": "critical", "cancelled": "high", "room_change": "high",
                  "rescheduled": "high", "provider_change": "high", "no_show": "high",
                  "reschedule_requested": "high"}
ON_DUTY_UPDATES = ("checked_in", "room_change", "emergency")
PROVIDER_RAISED = ("checked_in", "patient_delay")
# Below these, an offline patient would see nothing until they open the app: email them too.
PUSHED_URGENCIES = ("high", "critical")
COORDINATOR_UPDATES = ("no_show",)
# The patient's own updates, which authorised family hear of in plain words.
FAMILY_UPDATES = ("scheduled", "rescheduled", "cancelled", "checked_in", "completed", "no_show",
                  "emergency", "provider_delay", "room_change", "provider_change")


@dataclass
class Page:
    person_id: str
    channels: list[str]
    kind: str  # appointment (staff and patient) or appointment_family


def _raise(urgency: str, to: str) -> str:
    return max(urgency, to, key=URGENCIES.index)


def update_urgency(update_type: str, urgency: str) -> str:
    """The urgency of this update: the appointment's, raised by the update type's floor."""
    return _raise(urgency, UPDATE_URGENCY.get(update_type, "low"))


def needs_presence(update_type: str, urgency: str) -> bool:
    """Whether the patient's channels depend on their being offline (only below high)."""
    return update_urgency(update_type, urgency) not in PUSHED_URGENCIES


def patient_channels(channels: list[str], *, offline: bool) -> list[str]:
    """The patient's channels for a message below high urgency: email too when offline."""
    return [*channels, "email"] if offline and "email" not in channels else list(channels)


def fan_out(update_type: str, *, urgency: str, emergency: bool, patient_id: str,
            provider_id: str, care_team: list[str], on_duty: list[str], coordinators: list[str],
            family: list[str], patient_offline: bool = False) -> list[Page]:
    """Everyone this update goes to, each once (the first audience that names them wins)."""
    level = update_urgency(update_type, urgency)
    channels = CHANNELS_BY_URGENCY[level]
    offline = patient_offline and level not in PUSHED_URGENCIES
    provider_level = level
    if update_type in PROVIDER_RAISED:
        provider_level = URGENCIES[min(URGENCIES.index(level) + 1, len(URGENCIES) - 1)]
    pages = [Page(patient_id, patient_channels(channels, offline=offline), "appointment"),
             Page(provider_id, CHANNELS_BY_URGENCY[provider_level], "appointment")]
    if emergency or update_type == "emergency":
        pages += [Page(p, CHANNELS_BY_URGENCY["critical"], "appointment") for p in care_team]
    if update_type in ON_DUTY_UPDATES:
        pages += [Page(p, channels, "appointment") for p in on_duty]
    if update_type in COORDINATOR_UPDATES:
        pages += [Page(p, channels, "appointment") for p in coordinators]
    if update_type in FAMILY_UPDATES:
        pages += [Page(p, [c for c in channels if c in FAMILY_CHANNELS], "appointment_family")
                  for p in family]
    seen: set[str] = set()
    unique = []
    for page in pages:
        if page.person_id and page.person_id not in seen:
            seen.add(page.person_id)
            unique.append(page)
    return unique
