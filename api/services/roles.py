"""Staff roles, the authenticated principal, and the role/office checks every staff route uses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from api.errors import WrongOfficeError, WrongRoleError

__all__ = ["OFFICE_ROLES", "Principal", "Role", "require_office", "require_role"]


class Role(StrEnum):
    """What a staff member may do (``docs/api.md`` §Roles)."""

    COUNTER = "counter"  # petugas loket: issues receipts, closes the counter's day
    SUPERVISOR = "supervisor"  # approves voids in the office
    TREASURER = "treasurer"  # bendahara penerimaan: records deposits (STS)
    INSPECTOR = "inspector"  # Inspektorat Daerah: audits, exports (district-wide)
    ADMIN = "admin"  # schedules, offices, users, keys (district-wide)


#: Roles that are bound to one office; the others act district-wide.
OFFICE_ROLES: frozenset[Role] = frozenset({Role.COUNTER, Role.SUPERVISOR, Role.TREASURER})


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated staff member of a request; ``user_id`` is logged as ``by``."""

    user_id: str
    username: str
    role: Role
    office: str | None
    credential_id: str
    credential_kind: str  # "token" or "session"


def require_role(principal: Principal, roles: Iterable[Role]) -> None:
    """Raise :class:`WrongRoleError` unless the principal holds one of ``roles``."""
    allowed = frozenset(roles)
    if principal.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise WrongRoleError(
            f"expected one of the roles {names}, found role {principal.role.value}",
            f"Peran {principal.role.value} tidak berwenang; diperlukan peran: {names}.",
        )


def require_office(principal: Principal, office: str) -> None:
    """Raise :class:`WrongOfficeError` when an office-bound principal acts for another office."""
    if principal.role in OFFICE_ROLES and principal.office != office:
        raise WrongOfficeError(
            f"expected office {principal.office}, found a request for office {office}",
            f"Anda terdaftar di kantor {principal.office}, bukan {office}.",
        )
