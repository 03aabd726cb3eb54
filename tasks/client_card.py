"""The read-only client card of the team pages: client data, contacts, role holders, products, readiness, cases.

One unit of work, a handful of queries. No BSN and no date of birth of contacts leave this function:
personal data is not for pages.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from sbrflow.domain import vocabulary
from sbrflow.domain.case_states import FINISHED
from sbrflow.domain.errors import NotFound
from sbrflow.models import Client, ClientContact, ClientRisk, Person, RoleAssignment, Subscription, TeamMember
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.cases import list_cases
from sbrflow.tasks.crm_check import judge_readiness
from sbrflow.tasks.crm_properties import values_of


class ClientNotFound(NotFound):
    """No client with this client number (pages answer 404, the CLI exits 2)."""


def _person_name(p: Person) -> str:
    first = p.first_name or p.initials or ""
    return " ".join(part for part in (first, p.name_prefix, p.last_name) if part)


def client_card(client_number: str, *, today: date | None = None, recent: int = 12) -> dict:
    """Everything the card shows, as plain values (dates as ISO strings)."""
    today = today or date.today()
    with unit_of_work() as session:
        client = session.scalars(sa.select(Client).where(Client.client_number == client_number)).one_or_none()
        if client is None:
            raise ClientNotFound(f"no client with client number {client_number}")
        contacts = [
            {"contact_number": p.contact_number, "name": _person_name(p), "function": link.function,
             "email": p.email, "phone": p.phone, "is_primary": link.is_primary,
             "share_percentage": str(link.share_percentage) if link.share_percentage is not None else None}
            for link, p in session.execute(
                sa.select(ClientContact, Person).join(Person, Person.id == ClientContact.person_id)
                .where(ClientContact.client_id == client.id)
                .order_by(ClientContact.is_primary.desc(), Person.last_name, Person.contact_number))
        ]
        roles = [
            {"role": r.role.value, "role_label": vocabulary.label(r.role),
             "product": r.product.value if r.product else None, "member_code": m.code, "member_name": m.name,
             "member_active": m.active}
            for r, m in session.execute(
                sa.select(RoleAssignment, TeamMember).join(TeamMember, TeamMember.id == RoleAssignment.team_member_id)
                .where(RoleAssignment.client_id == client.id)
                .order_by(RoleAssignment.role, RoleAssignment.product.is_not(None), RoleAssignment.product))
        ]
        products = [
            {"product": s.product.value, "frequency": s.frequency.value,
             "frequency_label": vocabulary.frequency_label(s.frequency, s.quarter_start_month),
             "active_from": s.active_from.isoformat() if s.active_from else None,
             "active_until": s.active_until.isoformat() if s.active_until else None}
            for s in session.scalars(sa.select(Subscription).where(Subscription.client_id == client.id)
                                     .order_by(Subscription.product))
        ]
        problems = judge_readiness(session, product=None, today=today, client_ids=[client.id]).get(client.id, [])
        cases = list_cases(session, client_number=client_number, limit=200)
        risk = session.scalar(sa.select(ClientRisk).where(ClientRisk.client_id == client.id))
        custom = values_of(session, client_ids=[client.id]).get(("client", client.id), {})
        open_cases = [c for c in cases if c["state"] not in FINISHED]
        recent_cases = [c for c in cases if c["state"] in FINISHED][:recent]
        return {
            "client_number": client.client_number, "name": client.name, "kind": client.kind.value,
            "kind_label": vocabulary.label(client.kind), "status": client.status.value,
            "status_label": vocabulary.label(client.status),
            "legal_form": client.legal_form.value if client.legal_form else None,
            "legal_form_label": vocabulary.label(client.legal_form) if client.legal_form else None,
            "rsin": client.rsin, "ob_number": client.ob_number, "vat_id": client.vat_id,
            "payroll_tax_number": client.payroll_tax_number, "kvk_number": client.kvk_number,
            "sbr_enabled": client.sbr_enabled, "ideal_enabled": client.ideal_enabled,
            "contacts": contacts, "roles": roles, "products": products,
            "readiness": [{"reason": p.reason.value, "message": p.message} for p in problems],
            "open_cases": open_cases, "recent_cases": recent_cases,
            "risk": {"risk_class": risk.risk_class, "motivation": risk.motivation} if risk else None,
            "indicators": sorted(name for name, value in custom.items() if value is None),
            "properties": [{"name": name, "value": value} for name, value in sorted(custom.items()) if value is not None],
        }


def find_clients(text: str, *, limit: int = 50) -> list[dict]:
    """Clients whose number or name contains `text` (case-insensitive), by number; at most `limit`."""
    text = (text or "").strip()
    if not text:
        return []
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with unit_of_work() as session:
        rows = session.execute(
            sa.select(Client.client_number, Client.name, Client.status)
            .where(sa.or_(sa.func.lower(Client.client_number).like(pattern, escape="\\"),
                          sa.func.lower(Client.name).like(pattern, escape="\\")))
            .order_by(Client.client_number).limit(limit))
        return [{"client_number": n, "name": name, "status": s.value, "status_label": vocabulary.label(s)}
                for n, name, s in rows]
