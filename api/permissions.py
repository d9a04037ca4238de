"""Who may call each route: the one table of permissions.

Every route the API serves has one row here. The README's route tables are
generated from it (`python -m api.permissions --write`; tests/unit/test_readme.py
fails when they drift), tests/unit/test_permissions_table.py checks each row
against the role gate its route really declares, and
tests/e2e/test_permissions_matrix.py calls every route with every role against the
running stack and compares the answers with this table.

A row names the roles admitted whatever the subject (`allow`) and the roles
admitted only when the subject is theirs (`scoped`: a family member's own
patient, a provider paged for this emergency, ...). Roles named in neither are
refused with 403; a missing, expired or forged token with 401.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import MappingProxyType

from services.principal import ROLES, STAFF_ROLES

STAFF = STAFF_ROLES  # provider, coordinator, admin, auditor
RESPONDERS = ("provider", "coordinator", "admin")  # staff who act; an auditor only reads
COORDINATORS = ("coordinator", "admin")
REVIEWERS = ("admin", "auditor")
ADMINS = ("admin",)
V1 = "/api/v1"


class Scope(Enum):
    """What makes a subject the caller's own; value: the README's words for it."""

    PATIENT_SELF = "themself"
    CONSENT = "with the patient's consent in force (`emergencies` or `monitoring`)"
    APPOINTMENT_CONSENT = "with the patient's `appointments` consent in force"
    MEDICATION_CONSENT = "with the patient's `medication` consent in force"
    OWN_CONSENT = "named by it"
    SELF = "their own"
    PAGED = "if paged for it"
    PAGED_OR_RAISED = "if paged for it, or who raised it"
    OWNER = "who has it now"
    ON_SESSION = "on the session (care team or viewer)"
    CARE_TEAM = "on the session's care team"
    OWN_INBOX = "whose token names a person of that kind here (their own inbox only)"
    SWAP_COLLEAGUE = "who is asked to cover it"
    SWAP_PARTY = "named in it (whose time it is, or who is asked)"


class Access(Enum):
    """What the caller presents; value: the README's words for it."""

    TOKEN = "bearer token"
    PUBLIC = "anyone"
    SIGNATURE = "the provider's signature (no token)"
    LINK = "the signed link itself (no token)"
    FEED = "the signed, expiring feed link itself (no token; 401 expired, 403 forged)"


@dataclass(frozen=True)
class Rule:
    method: str  # GET, POST, PUT, or WS for the WebSocket
    path: str  # as the OpenAPI document spells it
    what: str
    section: str  # which README table shows it: "api", "sessions" or "outside"
    allow: tuple[str, ...] = ()
    scoped: Mapping[str, Scope] = field(default_factory=lambda: MappingProxyType({}))
    access: Access = Access.TOKEN

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def gate(self) -> frozenset[str]:
        """The roles that pass the route's role check (the scope is checked after it)."""
        return frozenset(self.allow) | frozenset(self.scoped)

    def allows(self, roles: Iterable[str], scopes: Iterable[Scope] = ()) -> bool:
        """Whether a caller holding `roles`, whose own subjects meet `scopes`, may call it."""
        met = set(scopes)
        return any(role in self.allow or self.scoped.get(role) in met for role in roles)

    def who(self) -> str:
        """The README's "who" cell."""
        if self.access is not Access.TOKEN:
            return self.access.value
        if set(self.allow) == set(ROLES):
            return "anyone with a token"
        parts = [_names(self.allow)] if self.allow else []
        by_scope: dict[Scope, list[str]] = {}
        for role, scope in self.scoped.items():
            by_scope.setdefault(scope, []).append(role)
        parts += [f"{', '.join(roles)} {scope.value}" for scope, roles in by_scope.items()]
        return "; ".join(parts)


def _names(roles: tuple[str, ...]) -> str:
    return "staff" if set(roles) == set(STAFF) else ", ".join(roles)


def _scoped(roles: Iterable[str], scope: Scope) -> Mapping[str, Scope]:
    return MappingProxyType({role: scope for role in roles})


def _api(method: str, path: str, what: str, allow: tuple[str, ...] = (),
         scoped: Mapping[str, Scope] | None = None, section: str = "api") -> Rule:
    return Rule(method, V1 + path, what, section, allow, MappingProxyType(dict(scoped or {})))


def _outside(method: str, path: str, what: str, access: Access) -> Rule:
    return Rule(method, path, what, "outside", access=access)


_PAGED = _scoped(("provider", "coordinator"), Scope.PAGED)
_ON_SESSION = _scoped(("provider",), Scope.ON_SESSION)
_MED_READERS = ("provider", "coordinator", "admin", "auditor")
_MED_OWN = MappingProxyType({"patient": Scope.PATIENT_SELF, "family": Scope.MEDICATION_CONSENT})
_E = "/emergencies/{emergency_id}"
_S = "/sessions/{session_id}"
_W = "/review/workflows/{workflow_id}"

RULES: tuple[Rule, ...] = (
    _api("POST", "/emergencies", "raise an emergency (`idempotency_key` in the body or an "
         "`Idempotency-Key` header)", RESPONDERS),
    _api("GET", "/emergencies", "list, newest first", STAFF),
    _api("GET", _E, "one, with every delivery attempt (the read is audited)", STAFF),
    _api("GET", f"{_E}/events", "SSE of its changes and deliveries; resumes with `Last-Event-ID`",
         STAFF),
    _api("POST", f"{_E}/acknowledge", "take it; 409 names who already has it", ADMINS, _PAGED),
    _api("POST", f"{_E}/resolve", "close it with its outcome (once acknowledged)", ADMINS, _PAGED),
    _api("POST", f"{_E}/cancel", "a false alarm, with `reason`; everyone paged is stood down",
         ADMINS, _scoped(("provider", "coordinator"), Scope.PAGED_OR_RAISED)),
    _api("POST", f"{_E}/hand-over", "give it to `to_staff_id`, who is paged with it", ADMINS,
         _scoped(("provider", "coordinator"), Scope.OWNER)),
    _api("POST", f"{_E}/escalate", "page the next tier now", ADMINS, _PAGED),
    _api("WS", "/ws", "the app socket, `?token=...&last_event_id=N` (below): the inbox of the "
         "token's `sub`; acknowledging over it needs provider, coordinator or admin; confirming a "
         "dose, the patient or a consented caregiver", (),
         _scoped(ROLES, Scope.OWN_INBOX)),
    _api("GET", "/staff/{staff_id}/inbox", "SSE of every page to that person; resumable", ADMINS,
         _scoped(("provider", "coordinator", "auditor"), Scope.SELF)),
    _api("GET", "/patients/{patient_id}/updates", "SSE of short status updates, no clinical "
         "detail; closes at once when consent is revoked", RESPONDERS,
         {"patient": Scope.PATIENT_SELF, "family": Scope.CONSENT}),
    _api("POST", "/patients", "a patient: language, time zone, contacts, home, preferences",
         COORDINATORS),
    _api("GET", "/patients", "patients by id (the read is audited)", STAFF),
    _api("GET", "/patients/{patient_id}", "one patient (the read is audited)", STAFF,
         {"patient": Scope.PATIENT_SELF}),
    _api("PATCH", "/patients/{patient_id}", "change some fields (`reason` is audited)",
         COORDINATORS),
    _api("GET", "/patients/{patient_id}/consents", "every consent, in force or revoked (audited)",
         STAFF, {"patient": Scope.PATIENT_SELF}),
    _api("POST", "/patients/{patient_id}/consents", "grant `scopes` to a caregiver (supersedes one "
         "in force); coordinator and admin give a `reason`", COORDINATORS,
         {"patient": Scope.PATIENT_SELF}),
    _api("POST", "/patients/{patient_id}/consents/{consent_id}/revoke", "revoke at once; "
         "coordinator and admin give a `reason`", COORDINATORS,
         {"patient": Scope.PATIENT_SELF, "family": Scope.OWN_CONSENT}),
    _api("POST", "/caregivers", "add a caregiver or family member", COORDINATORS),
    _api("GET", "/caregivers", "caregivers by id", STAFF),
    _api("GET", "/caregivers/{person_id}", "one caregiver", STAFF, {"family": Scope.SELF}),
    _api("GET", "/staff", "the directory, by facility or on-call state", STAFF),
    _api("GET", "/staff/{staff_id}", "one staff member", STAFF),
    _api("POST", "/staff", "add someone to the directory", ADMINS),
    _api("PUT", "/staff/{staff_id}", "replace a directory entry", ADMINS),
    _api("GET", "/facilities", "every facility", STAFF),
    _api("POST", "/facilities", "add a facility", ADMINS),
    _api("GET", "/policies", "escalation policies (a severity's default is the one naming it)",
         STAFF),
    _api("GET", "/policies/{policy_id}", "one policy", STAFF),
    _api("POST", "/policies", "create a policy", ADMINS),
    _api("PUT", "/policies/{policy_id}", "replace a policy; its version goes up, emergencies under "
         "way keep their snapshot", ADMINS),
    _api("GET", "/schedules", "on-call schedules (below)", STAFF),
    _api("POST", "/schedules", "a schedule, with its layers", COORDINATORS),
    _api("GET", "/schedules/{schedule_id}", "one schedule", STAFF),
    _api("POST", "/schedules/{schedule_id}/layers", "add a rotation (`reason` is audited)",
         COORDINATORS),
    _api("PUT", "/schedules/{schedule_id}/layers/{layer_id}", "replace a rotation", COORDINATORS),
    _api("DELETE", "/schedules/{schedule_id}/layers/{layer_id}", "remove a rotation",
         COORDINATORS),
    _api("POST", "/schedules/{schedule_id}/overrides", "a named person on call for a time range",
         COORDINATORS),
    _api("DELETE", "/schedules/{schedule_id}/overrides/{override_id}", "remove an override",
         COORDINATORS),
    _api("GET", "/schedules/{schedule_id}/on-call", "who is on call now (or `at`), from which "
         "layer or override, until when", STAFF),
    _api("GET", "/schedules/{schedule_id}/shifts", "its shifts (`start`, `end`; 28 days by "
         "default)", STAFF),
    _api("GET", "/schedules/{schedule_id}/calendar.ics", "the same as an iCalendar feed", STAFF),
    _api("GET", "/schedules/{schedule_id}/calendar-link", "a signed, expiring feed URL of it "
         "for a calendar app", STAFF),
    _api("POST", "/schedules/{schedule_id}/import", "import an `.ics` file: repeating events "
         "become rotations, one-off events overrides; all or nothing", COORDINATORS),
    _api("GET", "/schedules/{schedule_id}/swaps", "its swaps, newest first (`status`)", STAFF),
    _api("POST", "/schedules/{schedule_id}/swaps", "ask a `colleague` to cover your time; an "
         "admin may name whose (`person`) and `impose` it", RESPONDERS),
    _api("POST", "/schedules/{schedule_id}/swaps/{swap_id}/accept", "take the time: it becomes "
         "an override", (), _scoped(RESPONDERS, Scope.SWAP_COLLEAGUE)),
    _api("POST", "/schedules/{schedule_id}/swaps/{swap_id}/decline", "decline, withdraw or close "
         "it", ADMINS, _scoped(("provider", "coordinator"), Scope.SWAP_PARTY)),
    _api("GET", "/on-call", "who is on call by facility and specialisation (`at`)", STAFF),
    _api("GET", "/on-call/people/{staff_id}/shifts", "a person's upcoming shifts on every schedule "
         "(14 days by default)", STAFF),
    _api("GET", "/on-call/people/{staff_id}/calendar-link", "a signed, expiring feed URL of a "
         "person's shifts", COORDINATORS, _scoped(("provider", "auditor"), Scope.SELF)),
    _api("POST", "/medication-schedules", "start a medication schedule (below)", COORDINATORS),
    _api("GET", "/medication-schedules", "schedules, newest first", _MED_READERS, _MED_OWN),
    _api("GET", "/medication-schedules/{schedule_id}", "one, with its live state (the read is "
         "audited)", _MED_READERS, _MED_OWN),
    _api("POST", "/medication-schedules/{schedule_id}/doses/confirm", "taken, or skipped with a "
         "reason; for a dose that is not open, a 409 saying why", RESPONDERS, _MED_OWN),
    _api("POST", "/medication-schedules/{schedule_id}/pause", "pause (the open dose is closed, "
         "not counted)", COORDINATORS),
    _api("POST", "/medication-schedules/{schedule_id}/resume", "resume from the next dose",
         COORDINATORS),
    _api("PUT", "/medication-schedules/{schedule_id}", "change medicines or times from the next "
         "dose", COORDINATORS),
    _api("POST", "/medication-schedules/{schedule_id}/stop", "stop", COORDINATORS),
    _api("GET", "/medication-schedules/{schedule_id}/adherence", "taken on time, late, skipped, "
         "missed over 7 and 30 days", _MED_READERS, _MED_OWN),
    _api("GET", "/medication-schedules/{schedule_id}/events", "SSE of the schedule", _MED_READERS,
         _MED_OWN),
    _api("POST", "/medication-schedules/fhir", "start one from a FHIR R4 `MedicationRequest` "
         "(below)", COORDINATORS),
    _api("GET", "/patients/{patient_id}/medication-administrations", "doses as a FHIR R4 "
         "`MedicationAdministration` searchset Bundle (`days`, 30; the read is audited)",
         _MED_READERS, _MED_OWN),
    _api("GET", "/ramadan-calendar", "Ramadan per Hijri year, sighted or computed (`from_year`, "
         "`to_year`)", STAFF),
    _api("PUT", "/ramadan-calendar/{hijri_year}", "set a year's sighted `first_day`, `last_day` "
         "(audited)", ADMINS),
    _api("DELETE", "/ramadan-calendar/{hijri_year}", "back to the computed dates (audited)",
         ADMINS),
    _api("POST", "/appointments", "book: its workflow reminds, fans out every update, notices a "
         "no-show", RESPONDERS),
    _api("POST", "/appointments/fhir", "book from a FHIR R4 `Appointment`", RESPONDERS),
    _api("PUT", "/appointments/{appointment_id}/fhir", "apply the updates a FHIR R4 `Appointment` "
         "implies", RESPONDERS),
    _api("GET", "/appointments", "soonest first (the read is audited)", STAFF,
         {"patient": Scope.PATIENT_SELF, "family": Scope.APPOINTMENT_CONSENT}),
    _api("GET", "/appointments/{appointment_id}", "one; family read where and when only", STAFF,
         {"patient": Scope.PATIENT_SELF, "family": Scope.APPOINTMENT_CONSENT}),
    _api("POST", "/appointments/{appointment_id}/updates", "one SPEC §2 update; one the state does "
         "not allow is a 409 `invalid_transition`", RESPONDERS),
    _api("POST", "/appointments/{appointment_id}/reply", "the patient's answer to a reminder: "
         "`confirm`, or `reschedule` (the clinic's coordinators are told)", (),
         {"patient": Scope.PATIENT_SELF}),
    _api("GET", "/appointments/{appointment_id}/events", "SSE of its changes and deliveries", STAFF,
         {"patient": Scope.PATIENT_SELF}),
    _api("GET", "/appointments/facilities/{facility_id}/events", "SSE of a facility's clinic "
         "board", STAFF),
    _api("POST", "/webhook-endpoints", "subscribe an endpoint to event types (see Outbound "
         "webhooks); the signing secret is in this answer only", ADMINS),
    _api("GET", "/webhook-endpoints", "every endpoint, with delivery statistics", ADMINS),
    _api("GET", "/webhook-endpoints/{endpoint_id}", "one endpoint, with delivery statistics",
         ADMINS),
    _api("PATCH", "/webhook-endpoints/{endpoint_id}", "change its URL, events, filter, shape or "
         "enabled flag", ADMINS),
    _api("POST", "/webhook-endpoints/{endpoint_id}/rotate-secret", "a new secret, shown once; the "
         "old one also signs for `overlap_s`", ADMINS),
    _api("GET", "/webhook-endpoints/{endpoint_id}/deliveries", "its events, newest first, with "
         "attempts, last status code and error", ADMINS),
    _api("POST", "/webhook-endpoints/{endpoint_id}/replay", "send one of its events "
         "(`webhook_id`) or a time range (`since`, `until`) again, with the same webhook-id",
         ADMINS),
    _api("GET", "/outbox", "messages channels without credentials would have sent", REVIEWERS),
    _api("GET", "/audit", "the hash-chained audit log (the read is audited)", REVIEWERS),
    _api("GET", "/audit/verify", "walk the chain; names any edited, reordered or missing entry",
         REVIEWERS),
    _api("POST", "/audit/checkpoints", "verify the chain and sign its head into the checkpoint "
         "store (only if it verifies)", REVIEWERS),
    _api("GET", "/review/workflows", "find workflows by patient, kind, facility, severity, status, "
         "time", REVIEWERS),
    _api("GET", f"{_W}/history", "the recorded Temporal history (the read is audited)", REVIEWERS),
    _api("GET", f"{_W}/timeline", "who was paged, how, with what result; who acknowledged",
         REVIEWERS),
    _api("GET", f"{_W}/timeline.html", "the same timeline as a printable page", REVIEWERS),
    _api("GET", f"{_W}/export", "a zip of history, timeline, audit entries and verification",
         REVIEWERS),
    _api("POST", f"{_W}/replay", "replay its kept runs against today's code", REVIEWERS),
    _api("POST", "/review/replay", "replay every workflow closed in a range", REVIEWERS),
    # Monitoring sessions
    _api("POST", "/sessions", "start: thresholds are the monitoring type's defaults plus "
         "`thresholds` overrides", COORDINATORS, section="sessions"),
    _api("GET", "/sessions", "list, newest first (a provider sees only the sessions they are on)",
         STAFF, section="sessions"),
    _api("GET", _S, "one, with its live state (the read is audited)", ("coordinator", "admin",
         "auditor"), _ON_SESSION, section="sessions"),
    _api("POST", f"{_S}/readings", "Vigil JSON, one or a batch; 202", COORDINATORS, _ON_SESSION,
         section="sessions"),
    _api("POST", f"{_S}/readings/fhir", "FHIR R4 Observation or Bundle (LOINC vital signs)",
         COORDINATORS, _ON_SESSION, section="sessions"),
    _api("GET", f"{_S}/readings", "stored readings as points and per-vital `[time, value]` series "
         "(`since`, `until`)", ("coordinator", "admin", "auditor"), _ON_SESSION,
         section="sessions"),
    _api("PUT", f"{_S}/thresholds", "change limits (`overrides`, `reason`); nonsense is a 422 "
         "naming the field", COORDINATORS, _scoped(("provider",), Scope.CARE_TEAM),
         section="sessions"),
    _api("POST", f"{_S}/alarms/{{key}}/acknowledge", "silence one alarm (`news2`, `spo2_low`, "
         "`device_silent:ox-1`, ...) for its window", COORDINATORS, _ON_SESSION,
         section="sessions"),
    _api("POST", f"{_S}/end", "end it; answers with the summary", COORDINATORS, section="sessions"),
    _api("GET", f"{_S}/events", "SSE of every reading, score and alarm change; resumes with "
         "`Last-Event-ID`", ("coordinator", "admin", "auditor"), _ON_SESSION, section="sessions"),
    # Outside /api/v1: probes, providers and people's browsers call these.
    _outside("GET", "/healthz", "the process is up", Access.PUBLIC),
    _outside("GET", "/readyz", "the database answers and Temporal is connected", Access.PUBLIC),
    _outside("GET", "/metrics", "Prometheus exposition", Access.PUBLIC),
    _outside("GET", "/openapi.json", "the OpenAPI document", Access.PUBLIC),
    _outside("GET", "/docs", "the OpenAPI document's Swagger UI page", Access.PUBLIC),
    _outside("POST", "/webhooks/twilio/sms", "an SMS reply (`ACK <code>`; a patient's `TAKEN`, "
             "`1`, `SKIP <reason>`)", Access.SIGNATURE),
    _outside("POST", "/webhooks/twilio/sms-status", "an SMS page's status", Access.SIGNATURE),
    _outside("POST", "/webhooks/twilio/voice-status", "a page call's status", Access.SIGNATURE),
    _outside("POST", "/webhooks/twilio/voice/gather", "a key pressed on a page call",
             Access.SIGNATURE),
    _outside("POST", "/webhooks/sendgrid/events", "SendGrid's event webhook", Access.SIGNATURE),
    _outside("GET", "/ack/{token}", "an email page's (or dose reminder's) link: a confirm page, "
             "acknowledges nothing", Access.LINK),
    _outside("POST", "/ack/{token}", "its button: acknowledge (or confirm the dose) as the "
             "person it was sent to", Access.LINK),
    _outside("GET", "/ack/appointment/{token}", "an appointment reminder email's link: two "
             "buttons, answers nothing", Access.LINK),
    _outside("POST", "/ack/appointment/{token}", "a button: confirm, or ask to reschedule, as "
             "the patient it was sent to", Access.LINK),
    _outside("GET", "/calendar/{token}.ics", "a schedule's or a person's shifts as an iCalendar "
             "feed (last week and the next 60 days)", Access.FEED),
)

BY_KEY: Mapping[tuple[str, str], Rule] = MappingProxyType({rule.key: rule for rule in RULES})

assert len(BY_KEY) == len(RULES), "one row per route"
assert all(role in ROLES for rule in RULES for role in rule.gate)

# --- the README's tables ------------------------------------------------------------------

SECTIONS = {"api": V1, "sessions": V1, "outside": ""}  # section: the prefix its paths drop


def render(section: str) -> str:
    """The README table of one section, in the table's order."""
    prefix = SECTIONS[section]
    lines = ["| route | who | what |", "|---|---|---|"]
    for rule in RULES:
        if rule.section == section:
            path = rule.path.removeprefix(prefix)
            lines.append(f"| `{rule.method} {path}` | {rule.who()} | {rule.what} |")
    return "\n".join(lines)


def _markers(section: str) -> tuple[str, str]:
    return (f"<!-- permissions:{section} (generated by `python -m api.permissions --write`) -->",
            f"<!-- /permissions:{section} -->")


def readme_block(readme: str, section: str) -> str | None:
    """The table between a section's markers in the README, or None if they are missing."""
    start, end = _markers(section)
    if start not in readme or end not in readme:
        return None
    return readme.split(start, 1)[1].split(end, 1)[0].strip()


def rewrite_readme(readme: str) -> str:
    """The README with every section's table regenerated between its markers."""
    for section in SECTIONS:
        start, end = _markers(section)
        if readme_block(readme, section) is None:
            raise ValueError(f"README.md has no {start} ... {end} markers")
        head, rest = readme.split(start, 1)
        tail = rest.split(end, 1)[1]
        readme = f"{head}{start}\n{render(section)}\n{end}{tail}"
    return readme


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "README.md"
    if "--write" in sys.argv:
        target.write_text(rewrite_readme(target.read_text()))
    else:
        for name in SECTIONS:
            print(render(name), end="\n\n")
