"""The acceptance path of a new client, as actions with permissions (AuditCase's klantacceptatie).

Klantaanvraag/Prospect → Klantacceptatie-concept → -ter goedkeuring → -centrale administratie → Klant.
Each step is an action a team member takes; the steps that accept the office's risk need a permission
held per member (`client_approver`, `central_admin`). Pure: the caller loads the member and writes the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sbrflow.domain.enums import NON_CLIENT_STATUSES, ClientStatus
from sbrflow.domain.errors import Refused

S = ClientStatus


class Permission(StrEnum):
    """What a team member must hold to take a step."""

    MEMBER = "member"  # any active team member
    CLIENT_APPROVER = "client_approver"  # approves a new client (ter goedkeuring → centrale administratie)
    CENTRAL_ADMIN = "central_admin"  # registers the client centrally (→ Klant)


# (from, to) → permission. Steps not listed are not allowed (e.g. Prospect straight to Klant).
STEPS: dict[tuple[ClientStatus, ClientStatus], Permission] = {
    (S.SUSPECT, S.PROSPECT): Permission.MEMBER,
    (S.SUSPECT, S.CLIENT_REQUEST): Permission.MEMBER,
    (S.PROSPECT, S.CLIENT_REQUEST): Permission.MEMBER,
    (S.PROSPECT, S.ACCEPTANCE_DRAFT): Permission.MEMBER,
    (S.CLIENT_REQUEST, S.ACCEPTANCE_DRAFT): Permission.MEMBER,
    (S.ACCEPTANCE_DRAFT, S.ACCEPTANCE_REVIEW): Permission.MEMBER,
    (S.ACCEPTANCE_REVIEW, S.ACCEPTANCE_DRAFT): Permission.CLIENT_APPROVER,  # sent back
    (S.ACCEPTANCE_REVIEW, S.ACCEPTANCE_ADMIN): Permission.CLIENT_APPROVER,
    (S.ACCEPTANCE_REVIEW, S.FORMER_CLIENT): Permission.CLIENT_APPROVER,  # refused
    (S.ACCEPTANCE_ADMIN, S.ACCEPTANCE_REVIEW): Permission.CENTRAL_ADMIN,  # sent back
    (S.ACCEPTANCE_ADMIN, S.CLIENT): Permission.CENTRAL_ADMIN,
    (S.CLIENT, S.FORMER_CLIENT): Permission.CLIENT_APPROVER,
    (S.FORMER_CLIENT, S.CLIENT_REQUEST): Permission.MEMBER,  # comes back: accepted anew
    (S.SUSPECT, S.FORMER_CLIENT): Permission.MEMBER,
    (S.PROSPECT, S.FORMER_CLIENT): Permission.MEMBER,
    (S.CLIENT_REQUEST, S.FORMER_CLIENT): Permission.MEMBER,
    (S.RELATION, S.OWN_SERVICE_PROVIDER): Permission.MEMBER,
    (S.OWN_SERVICE_PROVIDER, S.RELATION): Permission.MEMBER,
}
# A registration made in sbrflow itself starts here (the import of an existing client base may set any status).
INITIAL_STATUSES = frozenset({S.SUSPECT, S.PROSPECT, S.CLIENT_REQUEST, S.RELATION, S.OWN_SERVICE_PROVIDER})


class AcceptanceError(Refused, ValueError):
    """A status change that is not a step of the path, or that this member may not take."""


@dataclass(frozen=True, slots=True)
class Member:
    """The facts of the team member taking a step."""

    code: str
    active: bool = True
    client_approver: bool = False
    central_admin: bool = False

    def holds(self, permission: Permission) -> bool:
        """True when the member has this permission (every active member has MEMBER)."""
        if permission is Permission.CLIENT_APPROVER:
            return self.client_approver
        if permission is Permission.CENTRAL_ADMIN:
            return self.central_admin
        return True


def next_steps(current: ClientStatus) -> list[ClientStatus]:
    """The statuses a client in `current` can be moved to."""
    return [to for (frm, to) in STEPS if frm is current]


def check_step(current: ClientStatus, to: ClientStatus, member: Member) -> Permission:
    """The permission the step needs; AcceptanceError when it is no step or the member may not take it."""
    if current is to:
        raise AcceptanceError(f"the status is already {to.value}")
    permission = STEPS.get((current, to))
    if permission is None:
        if to in NON_CLIENT_STATUSES or current in NON_CLIENT_STATUSES:
            raise AcceptanceError(f"a relation is not a client: {current.value} cannot become {to.value}; "
                                  "register the client separately")
        allowed = ", ".join(s.value for s in next_steps(current)) or "none"
        raise AcceptanceError(f"{current.value} cannot go to {to.value} directly; next steps: {allowed}")
    if not member.active:
        raise AcceptanceError(f"team member {member.code} is not active")
    if not member.holds(permission):
        raise AcceptanceError(f"team member {member.code} may not move a client from {current.value} to "
                              f"{to.value}: that needs the permission {permission.value}")
    return permission
