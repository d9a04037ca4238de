"""Who is asking: the identity and roles a verified token carries, used by every service."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("provider", "coordinator", "admin", "auditor", "patient", "family")
STAFF_ROLES = ("provider", "coordinator", "admin", "auditor")


@dataclass(frozen=True)
class Principal:
    sub: str
    roles: tuple[str, ...]
    patients: tuple[str, ...] = field(default_factory=tuple)  # family/patient scope

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_staff(self) -> bool:
        return self.has_any(STAFF_ROLES)

    def has_any(self, roles: tuple[str, ...]) -> bool:
        return any(role in self.roles for role in roles)
