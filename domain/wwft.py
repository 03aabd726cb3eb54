"""Wwft: who ultimately owns a client (UBO), through chains of holdings.

A person's share in a company counts directly and through every company they (indirectly) hold:
shares multiply along a chain and add up over the paths (Jan 100 % of Holding, Holding 60 % of
Werk B.V.: Jan 60 % of Werk). Pure: the caller gives the direct holdings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from sbrflow.domain.enums import ClientKind, LegalForm

HUNDRED = Decimal(100)
# Legal forms whose owners are natural persons by definition: no UBO to find (the person is the client).
_NO_UBO_NEEDED = frozenset({LegalForm.NATURAL_PERSON, LegalForm.SOLE_PROPRIETORSHIP})


def needs_ubo(kind: ClientKind, legal_form: LegalForm | None) -> bool:
    """A legal entity (not a natural person or eenmanszaak) must have a UBO or a pseudo-UBO (Wwft)."""
    return kind is ClientKind.COMPANY and legal_form not in _NO_UBO_NEEDED


def effective_shares(
    person_shares: Iterable[tuple[str, int, Decimal]],
    holdings: Iterable[tuple[int, int, Decimal]],
) -> dict[int, dict[str, Decimal]]:
    """Per company: each person's direct plus indirect share in percent.

    `person_shares`: (person key, company, percent) held directly; `holdings`: (holder company,
    owned company, percent). A cycle of holdings is followed once per path, never forever.
    """
    owned_by: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)  # holder → [(owned, fraction)]
    for holder, owned, percent in holdings:
        owned_by[holder].append((owned, Decimal(percent) / HUNDRED))
    result: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))

    def spread(person: str, company: int, fraction: Decimal, path: frozenset[int]) -> None:
        result[company][person] += fraction * HUNDRED
        for owned, share in owned_by.get(company, ()):
            if owned not in path:
                spread(person, owned, fraction * share, path | {owned})

    for person, company, percent in person_shares:
        if percent:
            spread(person, company, Decimal(percent) / HUNDRED, frozenset({company}))
    return {company: {p: s.quantize(Decimal("0.01")) for p, s in people.items()} for company, people in result.items()}


def ubos(shares: Mapping[str, Decimal], threshold: Decimal) -> set[str]:
    """The persons whose (effective) share is more than the threshold."""
    return {person for person, share in shares.items() if share > threshold}
