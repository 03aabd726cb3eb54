"""VAT returns in XBRL (Nederlandse Taxonomie): aangifte, suppletie and ICP opgaaf.

Structure (DESIGN.md, "VAT return"): the return type is the entrypoint named by
`link:schemaRef/@xlink:href`; client and period are in the `xbrli:context`s; amounts are facts
(children of the root, or of a tuple in older ICP listings) that point at a context.
Everything is matched on local names: the namespaces change with every taxonomy year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from xml.etree.ElementTree import Element

from sbrflow.domain.enums import Tax
from sbrflow.integrations.sbr.errors import InvalidReturnDocument
from sbrflow.integrations.sbr.record import ParsedReturn, ReturnKind
from sbrflow.integrations.sbr.safexml import (
    SCHEMA_LIMIT,
    TEXT_LIMIT,
    amount,
    attribute,
    bounded,
    child_text,
    children,
    fiscal_id,
    iso_date,
    local,
    only_child,
    period,
    require,
    timestamp,
)

OB_SCHEME = "www.belastingdienst.nl/omzetbelastingnummer"
# bd-rpt-ob-aangifte-2021.xsd; some packages write the entrypoint without its year.
_ENTRYPOINT = re.compile(r"bd-rpt-(ob-aangifte|ob-suppletie|icp-opgaaf)(?:-\d{4})?\.xsd$")
_KINDS = {
    "ob-aangifte": ReturnKind.RETURN,
    "ob-suppletie": ReturnKind.CORRECTION,
    "icp-opgaaf": ReturnKind.ICP,
}
# The listed amounts of an ICP opgaaf, as facts in tuples (NT16) or in dimensional contexts (NT20).
_ICP_AMOUNTS = frozenset({"SuppliesAmount", "ServicesAmount", "ABCSuppliesAmount"})
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
# Children of xbrli:xbrl that are not facts.
_STRUCTURE = frozenset(
    {"schemaRef", "linkbaseRef", "roleRef", "arcroleRef", "context", "unit", "footnoteLink"}
)


@dataclass(frozen=True, slots=True)
class _Context:
    id: str
    identifier: str
    start: str | None
    end: str | None
    dimensional: bool  # has a scenario or segment: a line of a listing, not the message itself


@dataclass(frozen=True, slots=True)
class _Fact:
    name: str
    context: _Context
    text: str
    numeric: bool  # has a unitRef
    in_tuple: bool


def parse_vat_xbrl(root: Element, *, sha256: str, size: int) -> ParsedReturn:
    """Read an aangifte, suppletie or ICP opgaaf; raise InvalidReturnDocument when it is none."""
    href = _schema_href(root)
    kind = _KINDS[_ENTRYPOINT.search(href).group(1)]  # _schema_href checked it matches
    contexts = _contexts(root)
    main = next((c for c in contexts.values() if not c.dimensional), next(iter(contexts.values())))
    start = iso_date(require(main.start, f"xbrli:startDate in context {main.id!r}"), "xbrli:startDate")
    end = iso_date(require(main.end, f"xbrli:endDate in context {main.id!r}"), "xbrli:endDate")
    start, end = period(start, end, "the context's")
    facts = _facts(root, contexts)
    message = _message_facts(facts)
    totals = tuple(
        (name, amount(fact.text, name)) for name, fact in message.items() if fact.numeric
    )
    values = dict(totals)
    amount_total: Decimal | None = None
    if kind is ReturnKind.RETURN:
        amount_due = _required_amount(values, message, "ValueAddedTaxOwedToBePaidBack")
    elif kind is ReturnKind.CORRECTION:
        amount_due = _required_amount(values, message, "ValueAddedTaxToBePaidAdditionalToBePaidBack")
        amount_total = values.get("ValueAddedTaxAmountTotalNew")
    else:
        amount_due = Decimal(0)  # an ICP opgaaf lists EU supplies; it carries no tax
        amount_total = sum(
            (amount(f.text, f.name) for f in facts if f.name in _ICP_AMOUNTS), Decimal(0)
        )
    reference = next((f.text for n, f in message.items() if n.startswith("MessageReferenceSupplier")), None)
    return ParsedReturn(
        tax=Tax.OB,
        kind=kind,
        fiscal_id=fiscal_id(main.identifier, "B", "the xbrli:identifier"),
        period_start=start,
        period_end=end,
        amount_due=amount_due,
        schema=bounded(href, "the link:schemaRef href", SCHEMA_LIMIT),
        sha256=sha256,
        size=size,
        software_name=_bounded_text(message, "SoftwarePackageName"),
        software_version=_bounded_text(message, "SoftwarePackageVersion"),
        message_ref=bounded(reference, "the message reference", TEXT_LIMIT),
        created_at=timestamp(_text(message, "DateTimeCreation")),
        amount_total=amount_total,
        totals=totals,
    )


def _schema_href(root: Element) -> str:
    refs = children(root, "schemaRef")
    if not refs:
        raise InvalidReturnDocument(
            "no link:schemaRef: the XBRL document does not say which return it is", code="missing"
        )
    hrefs = [(attribute(ref, "href") or "").strip() for ref in refs]
    for href in hrefs:
        if _ENTRYPOINT.search(href):
            return href
    names = ", ".join(repr(href.rpartition("/")[2][:60]) for href in hrefs)
    raise InvalidReturnDocument(
        f"link:schemaRef names {names}, which is not a VAT return (bd-rpt-ob-aangifte), "
        "VAT correction (bd-rpt-ob-suppletie) or ICP listing (bd-rpt-icp-opgaaf)",
        code="wrong_type",
    )


def _contexts(root: Element) -> dict[str, _Context]:
    contexts: dict[str, _Context] = {}
    for element in children(root, "context"):
        context_id = attribute(element, "id") or ""
        where = f"xbrli:context {context_id[:60]!r}"
        if context_id in contexts:
            raise InvalidReturnDocument(f"{where} is defined twice", code="ambiguous")
        entity = only_child(element, "entity", where)
        identifier = only_child(entity, "identifier", where) if entity is not None else None
        if identifier is None or not (identifier.text or "").strip():
            raise InvalidReturnDocument(f"{where} has no xbrli:identifier in xbrli:entity", code="missing")
        scheme = (attribute(identifier, "scheme") or "").strip()
        # The scheme is seen with and without http:// (DESIGN.md); compare without it.
        bare = re.sub(r"^https?://", "", scheme, flags=re.IGNORECASE).rstrip("/").lower()
        if bare != OB_SCHEME:
            raise InvalidReturnDocument(
                f"no omzetbelastingnummer identifier in xbrli:entity of {where} "
                f"(the scheme is {scheme[:80]!r})",
                code="wrong_type",
            )
        period_element = only_child(element, "period", where)
        dimensional = bool(children(element, "scenario")) or (
            entity is not None and bool(children(entity, "segment"))
        )
        contexts[context_id] = _Context(
            id=context_id,
            identifier=identifier.text.strip(),
            start=child_text(period_element, "startDate", where),
            end=child_text(period_element, "endDate", where),
            dimensional=dimensional,
        )
    if not contexts:
        raise InvalidReturnDocument(
            "no xbrli:context: the document names no client and no period", code="missing"
        )
    # One document is one client and one period; a second one inside is a packaging error.
    if len({c.identifier for c in contexts.values()}) > 1:
        raise InvalidReturnDocument("the contexts name more than one omzetbelastingnummer", code="ambiguous")
    if len({(c.start, c.end) for c in contexts.values()}) > 1:
        raise InvalidReturnDocument("the contexts name more than one period", code="ambiguous")
    return contexts


def _facts(root: Element, contexts: dict[str, _Context]) -> list[_Fact]:
    facts: list[_Fact] = []
    for element in root:
        name = local(element.tag)
        if not name or name in _STRUCTURE:
            continue
        # contextRef and unitRef are unqualified attributes in XBRL 2.1: a plain get() finds them.
        if element.get("contextRef") is not None:
            if not _nil(element):
                facts.append(_fact(element, contexts, in_tuple=False))
            continue
        # A tuple (e.g. bd-t:IntraCommunitySupplies in NT16 ICP listings): its facts are one level down.
        facts.extend(
            _fact(item, contexts, in_tuple=True)
            for item in element
            if item.get("contextRef") is not None and not _nil(item)
        )
    return facts


def _nil(element: Element) -> bool:
    # xsi:nil="true" states that a fact has no value: the same as leaving it out. (The XML Schema
    # instance namespace is fixed by the W3C; only the taxonomy namespaces change yearly.)
    return (element.get(_XSI_NIL) or "").strip() == "true"


def _fact(element: Element, contexts: dict[str, _Context], *, in_tuple: bool) -> _Fact:
    name = local(element.tag)
    ref = element.get("contextRef", "")
    if ref not in contexts:
        raise InvalidReturnDocument(
            f"fact {name} refers to context {ref[:60]!r}, which the document does not define",
            code="bad_value",
        )
    return _Fact(
        name=name,
        context=contexts[ref],
        text=(element.text or "").strip(),
        numeric=element.get("unitRef") is not None,
        in_tuple=in_tuple,
    )


def _message_facts(facts: list[_Fact]) -> dict[str, _Fact]:
    """Facts about the message itself: not in a tuple and not on a dimensional context."""
    message: dict[str, _Fact] = {}
    for fact in facts:
        if fact.in_tuple or fact.context.dimensional:
            continue
        earlier = message.setdefault(fact.name, fact)
        if earlier.text != fact.text:
            raise InvalidReturnDocument(
                f"fact {fact.name} is given twice with different values", code="ambiguous"
            )
    return message


def _required_amount(values: dict[str, Decimal], message: dict[str, _Fact], name: str) -> Decimal:
    if name in values:
        return values[name]
    if name in message:  # present, but without a unit: not a monetary fact
        raise InvalidReturnDocument(f"fact {name} has no unitRef, so it is not an amount", code="bad_value")
    raise InvalidReturnDocument(f"no {name} fact: the document does not state the amount due", code="missing")


def _text(message: dict[str, _Fact], name: str) -> str | None:
    fact = message.get(name)
    return (fact.text or None) if fact is not None else None


def _bounded_text(message: dict[str, _Fact], name: str) -> str | None:
    return bounded(_text(message, name), name, TEXT_LIMIT)
