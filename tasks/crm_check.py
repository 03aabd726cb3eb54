"""Readiness report per client: what keeps each client with status `client` from running its workflows."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from sbrflow.config.settings import get_settings
from sbrflow.config.workflows import load_templates
from sbrflow.domain import vocabulary
from sbrflow.domain.enums import ClientStatus, Product, Role
from sbrflow.domain.readiness import Problem, Reason
from sbrflow.models import Client
from sbrflow.models.db import unit_of_work
from sbrflow.tasks.readiness import judge_clients


def required_roles_by_product() -> dict[Product, frozenset[Role]]:
    """The roles each product's workflow template needs a team member for."""
    return {template.product: template.required_roles() for template in load_templates().values()}


def judge_readiness(session, *, product: Product | None, today: date,
                    client_ids: list[int] | None = None) -> dict[int, list[Problem]]:
    """Readiness problems per client id: of every client with status `client`, or of exactly `client_ids`.

    Without a product: everything about the client, plus the roles of each product it takes.
    """
    threshold = get_settings().ubo_threshold
    roles = required_roles_by_product()
    if product is not None:
        return judge_clients(session, today=today, product=product, required_roles=roles.get(product, ()),
                             ubo_threshold=threshold, client_ids=client_ids)
    judged = judge_clients(session, today=today, ubo_threshold=threshold, client_ids=client_ids)
    for each, needed in roles.items():
        per_product = judge_clients(session, today=today, product=each, required_roles=needed,
                                    ubo_threshold=threshold, client_ids=client_ids)
        for client_id, problems in per_product.items():
            if any(p.reason is Reason.PRODUCT_NOT_LINKED for p in problems):
                continue
            missing = [Problem(p.reason, f"{p.message} ({each.value})") for p in problems
                       if p.reason is Reason.ROLE_MISSING]
            judged.setdefault(client_id, []).extend(missing)
    return judged


def check_readiness(*, product: str | None = None, today: date | None = None) -> dict[str, object]:
    """Per client with status `client`: ready or not, and the reasons; `ready` is True when all are."""
    chosen = None if product is None else vocabulary.parse_product(product)  # UnknownWord: one line in the CLI
    today = today or date.today()
    with unit_of_work() as session:
        names = {row.id: row for row in session.execute(sa.select(Client.id, Client.client_number, Client.name)
                                                        .where(Client.status == ClientStatus.CLIENT))}
        judged = judge_readiness(session, product=chosen, today=today)
    clients = [
        {"client_number": names[client_id].client_number, "name": names[client_id].name, "ready": not problems,
         "problems": [{"reason": p.reason.value, "message": p.message} for p in problems]}
        for client_id, problems in judged.items()
    ]
    clients.sort(key=lambda c: c["client_number"])
    return {"product": None if chosen is None else chosen.value, "ready": all(c["ready"] for c in clients),
            "clients": clients}
