"""Who calls in the permissions matrix: every role, in and out of scope, and broken tokens.

Each caller says which scoped subjects of the matrix's world are theirs (the
provider was paged for the emergency and is on the session's care team; the
family member's token names the patient), so api/permissions.py can say what
each one may do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import jwt

from api.permissions import Scope
from settings import get_settings
from tests.utils.api import token

PROVIDER = "dr-tan"  # paged for the matrix's emergency, on its session's care team,
# and the colleague the matrix's swaps ask
# Every scope the in-scope provider meets. OWNER holds while the steering steps run: dr-tan
# acknowledges before anyone is refused or allowed a hand-over or a resolve.
PROVIDER_SCOPES = frozenset({Scope.PAGED, Scope.PAGED_OR_RAISED, Scope.OWNER, Scope.SELF,
                             Scope.ON_SESSION, Scope.CARE_TEAM, Scope.OWN_INBOX,
                             Scope.SWAP_COLLEAGUE, Scope.SWAP_PARTY})
OWN = frozenset({Scope.OWN_INBOX})  # a real person of the token's kind: their own socket


@dataclass(frozen=True)
class Caller:
    name: str
    roles: tuple[str, ...]
    bearer: str | None  # the raw token, or None for no token at all
    scopes: frozenset[Scope] = frozenset()
    valid: bool = True  # whether the API should accept the token at all

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.bearer}"} if self.bearer else {}


def _signed(claims: dict[str, object], secret: str | None = None) -> str:
    settings = get_settings()
    body = {"iss": settings.jwt_issuer, "exp": int(time.time()) + 600, **claims}
    return jwt.encode(body, secret or settings.jwt_secret, algorithm="HS256")


def callers(patient_id: str, caregiver_id: str) -> list[Caller]:
    """Every kind of caller, for a world whose patient is `patient_id`, who has consented to
    `caregiver_id` seeing their emergencies and monitoring."""
    return [
        Caller("provider", ("provider",), token(PROVIDER, "provider"), PROVIDER_SCOPES),
        Caller("provider elsewhere", ("provider",), token("dr-offduty", "provider"), OWN),
        Caller("coordinator", ("coordinator",), token("coord-lee", "coordinator"), OWN),
        Caller("admin", ("admin",), token("admin-raj", "admin"), OWN),
        Caller("auditor", ("auditor",), token("auditor-ng", "auditor"), OWN),
        Caller("family with consent", ("family",), token(caregiver_id, "family"),
               frozenset({Scope.CONSENT, Scope.OWN_CONSENT, Scope.SELF, Scope.OWN_INBOX})),
        # No consent, and a `sub` that is a staff member's id: the sub alone must grant nothing
        # (the token even names the patient, which decides nothing now: consent does).
        Caller("family without consent", ("family",),
               token(PROVIDER, "family", patients=[patient_id])),
        Caller("the patient", ("patient",), token(patient_id, "patient"),
               frozenset({Scope.PATIENT_SELF, Scope.OWN_INBOX})),
        Caller("another patient", ("patient",), token(f"{patient_id}-other", "patient",
                                                      patients=[patient_id])),
        Caller("no token", (), None, valid=False),
        Caller("expired token", ("admin",), token("admin-raj", "admin", ttl_s=-60), valid=False),
        Caller("forged token", ("admin",),
               _signed({"sub": "admin-raj", "roles": ["admin"]}, secret="not-our-secret-" * 3),
               valid=False),
        # A string claim would pass letter by letter for a list of patients.
        Caller("patients claim not a list", ("family",),
               _signed({"sub": "family-y", "roles": ["family"], "patients": patient_id}),
               valid=False),
    ]


@dataclass
class Call:
    """One request of the matrix, and how to prove that a refused one changed nothing."""

    method: str
    path: str
    json: object = None
    data: dict[str, str] | None = None
    stream: bool = False  # SSE: read the status and hang up
    created: object = field(default=None, repr=False)  # () -> bool: did it leave a trace?
