"""The CRM query manager's filter language: parse `--where` texts into typed conditions, or say what is wrong.

A filter is `PROPERTY OPERATOR VALUE`; all filters hold together (AND):

    =   is              status=client, product=vat_return, function=DGA, indicator=Lead
    !=  is not          legal_form!=bv
    ~   contains        name~bakker, city~dam (case- and accent-insensitive)
    ?   is empty        email?  (no value; also `risk?`, `prop:Branche?`)
    !?  is not empty    email!?
    <   before / below  created<2026-01-01, id_expires<2027-01-01, prop:Omzet<100000
    >   after / above   created>2025-06-30

Properties are built in (below) or custom: `prop:NAME` (an admin's definition) and `indicator=NAME`.
Pure: the caller hands over the custom definitions; nothing here reads a database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum

from sbrflow.domain import vocabulary
from sbrflow.domain.enums import Role
from sbrflow.domain.errors import SbrflowError

OPERATORS = {"=": "is", "!=": "is not", "~": "contains", "?": "is empty", "!?": "is not empty",
             "<": "before", ">": "after"}
RISK_CLASSES = ("low", "high", "unacceptable")
_RISK_WORDS = {"low": "low", "laag": "low", "high": "high", "hoog": "high", "unacceptable": "unacceptable",
               "onaanvaardbaar": "unacceptable", "nietacceptabel": "unacceptable"}
_FILTER = re.compile(r"^\s*(?P<prop>[^=!~<>?]+?)\s*(?P<op>!=|!\?|=|~|<|>|\?)\s*(?P<value>.*?)\s*$", re.DOTALL)


class QueryError(SbrflowError, ValueError):
    """A filter that names an unknown property, an operator it does not take, or a bad value."""


def fold(text: object) -> str:
    """Case- and accent-free text for comparing (`Müller` → `muller`); spaces and punctuation kept."""
    decomposed = unicodedata.normalize("NFKD", "" if text is None else str(text)).casefold()
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True, slots=True)
class PropertyDef:
    """An admin's custom property or indicator, as the query language needs it."""

    name: str
    target: str  # client or person
    kind: str  # text, number, date, choice, indicator
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Field:
    """A built-in property: which side it belongs to, its operators and how its value is read."""

    name: str
    side: str  # client or person (the contact link and its person)
    ops: tuple[str, ...]
    parse: Callable[[str], object]
    help: str


@dataclass(frozen=True, slots=True)
class Condition:
    """One parsed filter: `field` is a built-in name, `role:<role>`, `prop:<name>` or `indicator`."""

    field: str
    side: str
    op: str
    value: object
    text: str  # the filter as given
    custom: PropertyDef | None = None


def _enum(parser: Callable[[str], Enum | None]) -> Callable[[str], object]:
    def parse(value: str) -> object:
        word = parser(value)
        if word is None:
            raise QueryError("give a value (or use ? for empty, !? for not empty)")
        return word.value  # UnknownWord (a QueryError below) lists the accepted words

    return parse


def _text(value: str) -> str:
    if not value:
        raise QueryError("give a value (or use ? for empty, !? for not empty)")
    return value


def _code(value: str) -> str:
    return _text(value).upper()


def _bool(value: str) -> bool:
    return vocabulary.parse_bool(value)


def parse_date(value: str) -> date:
    """A date as YYYY-MM-DD (or DD-MM-YYYY)."""
    for pattern in (r"(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{1,2})-(\d{1,2})-(\d{4})"):
        match = re.fullmatch(pattern, value.strip())
        if match:
            parts = [int(p) for p in match.groups()]
            year, month, day = parts if pattern.startswith(r"(\d{4})") else parts[::-1]
            try:
                return date(year, month, day)
            except ValueError:
                break
    raise QueryError(f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-01-31")


def parse_number(value: str) -> Decimal:
    """A number, with a decimal point or comma (no thousands separators)."""
    try:
        number = Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise QueryError(f"'{value}' is not a number; write e.g. 1500 or 12.5")
    return number


def parse_risk(value: str) -> str:
    """low / high / unacceptable (laag / hoog / onaanvaardbaar)."""
    found = _RISK_WORDS.get(vocabulary.word_key(value))
    if found is None:
        raise QueryError(f"'{value}' is not a risk class; use one of: {', '.join(RISK_CLASSES)}")
    return found


EQ, TEXT, EMPTY, DATES = ("=", "!="), ("=", "!=", "~"), ("?", "!?"), ("<", ">")
FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("number", "client", TEXT, _text, "client number"),
    Field("name", "client", TEXT, _text, "client name"),
    Field("status", "client", EQ, _enum(vocabulary.parse_client_status), "client status (client, prospect, …)"),
    Field("type", "client", EQ, _enum(vocabulary.parse_client_kind), "company or person"),
    Field("legal_form", "client", EQ + EMPTY, _enum(vocabulary.parse_legal_form), "legal form (bv, vof, …)"),
    Field("product", "client", EQ, _enum(vocabulary.parse_product), "a product the client takes"),
    Field("frequency", "client", EQ, _enum(vocabulary.parse_frequency),
          "filing frequency of a subscription (with product=: of that product's)"),
    Field("holder", "client", EQ, _code, "team member code holding any role for the client"),
    Field("city", "client", TEXT + EMPTY, _text, "city of one of the client's addresses"),
    Field("risk", "client", EQ + EMPTY, parse_risk, "Wwft risk class: low, high, unacceptable"),
    Field("work_stop", "client", ("=",), _bool, "werkstop set: yes or no"),
    Field("created", "client", DATES, parse_date, "date the client was registered"),
    Field("function", "person", TEXT + EMPTY, _text, "the contact's function at the client (DGA, …)"),
    Field("person_name", "person", TEXT, _text, "first, middle or last name of the contact"),
    Field("contact_number", "person", TEXT, _text, "the person's contact number"),
    Field("email", "person", TEXT + EMPTY, _text, "the contact's e-mail address"),
    Field("has_email", "person", ("=",), _bool, "the contact has an e-mail address: yes or no"),
    Field("ubo", "person", ("=",), _bool, "the contact is a UBO (share above the threshold) or pseudo-UBO"),
    Field("primary", "person", ("=",), _bool, "the client's primary contact: yes or no"),
    Field("id_expires", "person", DATES + EMPTY, parse_date, "expiry date of the contact's ID document"),
)}
ROLE_FIELD = "role:"  # role:administratie=AN
CUSTOM_FIELD = "prop:"  # prop:Branche=Bouw
INDICATOR_FIELD = "indicator"  # indicator=Lead
_CUSTOM_OPS = {"text": TEXT + EMPTY, "choice": EQ + EMPTY, "number": ("=", "!=", "<", ">") + EMPTY,
               "date": ("=", "<", ">") + EMPTY}


def property_names(custom: Sequence[PropertyDef] = ()) -> list[str]:
    """Every property a filter can name, built-in first."""
    names = list(FIELDS) + [f"{ROLE_FIELD}{role.value}" for role in Role] + [INDICATOR_FIELD]
    return names + [f"{CUSTOM_FIELD}{p.name}" for p in custom if p.kind != "indicator"]


def parse_custom_value(definition: PropertyDef, value: str) -> str:
    """A custom property's value in its canonical text (numbers plain, dates ISO, choices as defined)."""
    if definition.kind == "indicator":
        raise QueryError(f"{definition.name} is an indicator: it is set or not, it has no value")
    text = (value or "").strip()
    if not text:
        raise QueryError(f"give a value for {definition.name}")
    if definition.kind == "number":
        return format(parse_number(text).normalize(), "f")
    if definition.kind == "date":
        return parse_date(text).isoformat()
    if definition.kind == "choice":
        for choice in definition.choices:
            if fold(choice) == fold(text):
                return choice
        raise QueryError(f"'{text}' is not a choice of {definition.name}; valid: {', '.join(definition.choices)}")
    if len(text) > 500:
        raise QueryError(f"the value for {definition.name} is longer than 500 characters")
    return text


def _ops_message(name: str, op: str, ops: Sequence[str]) -> QueryError:
    valid = ", ".join(f"{o} ({OPERATORS[o]})" for o in ops)
    return QueryError(f"the operator {op} ({OPERATORS[op]}) does not apply to {name}; use one of: {valid}")


def parse_filter(text: str, custom: Sequence[PropertyDef] = ()) -> Condition:
    """One `--where` text → a Condition; QueryError naming the property or value and the valid ones."""
    match = _FILTER.match(text or "")
    if match is None:
        raise QueryError(f"'{text}' is not a filter; write PROPERTY OPERATOR VALUE, e.g. product=vat_return "
                         f"(operators: {', '.join(f'{o} {w}' for o, w in OPERATORS.items())})")
    prop, op, value = match["prop"].strip(), match["op"], match["value"]
    if op in EMPTY and value:
        raise QueryError(f"'{text}': {op} ({OPERATORS[op]}) takes no value; write {prop}{op}")
    key = prop.lower()
    definitions = {fold(p.name): p for p in custom}
    try:
        if key in FIELDS:
            field = FIELDS[key]
            if op not in field.ops:
                raise _ops_message(key, op, field.ops)
            return Condition(key, field.side, op, None if op in EMPTY else field.parse(value), text)
        if key.startswith(ROLE_FIELD):
            role = vocabulary.parse_role(prop[len(ROLE_FIELD):]).value
            if op not in EQ + EMPTY:
                raise _ops_message(prop, op, EQ + EMPTY)
            return Condition(f"{ROLE_FIELD}{role}", "client", op, None if op in EMPTY else _code(value), text)
        if key == INDICATOR_FIELD:
            if op not in EQ:
                raise _ops_message(key, op, EQ)
            indicators = [p for p in custom if p.kind == "indicator"]
            found = definitions.get(fold(value))
            if found is None or found.kind != "indicator":
                raise QueryError(f"'{value}' is not an indicator; valid: "
                                 + (", ".join(p.name for p in indicators) or "none defined yet (crm define)"))
            return Condition(INDICATOR_FIELD, found.target, op, found.name, text, found)
        if key.startswith(CUSTOM_FIELD):
            name = prop[len(CUSTOM_FIELD):].strip()
            found = definitions.get(fold(name))
            if found is None or found.kind == "indicator":
                valid = ", ".join(p.name for p in custom if p.kind != "indicator") or "none defined yet (crm define)"
                hint = " (it is an indicator: write indicator=NAME)" if found is not None else ""
                raise QueryError(f"'{name}' is not a custom property{hint}; valid: {valid}")
            if op not in _CUSTOM_OPS[found.kind]:
                raise _ops_message(f"{CUSTOM_FIELD}{found.name}", op, _CUSTOM_OPS[found.kind])
            parsed = None if op in EMPTY else parse_custom_value(found, value)
            return Condition(f"{CUSTOM_FIELD}{found.name}", found.target, op, parsed, text, found)
    except vocabulary.UnknownWord as exc:
        raise QueryError(f"'{text}': {exc}") from None
    except QueryError as exc:
        message = str(exc)
        raise QueryError(message if message.startswith(f"'{text}'") else f"'{text}': {message}") from None
    raise QueryError(f"'{prop}' is not a property you can filter on; valid: {', '.join(property_names(custom))}")


def parse_filters(texts: Sequence[str], custom: Sequence[PropertyDef] = ()) -> list[Condition]:
    """Every filter, or one QueryError listing all the bad ones."""
    conditions, problems = [], []
    for text in texts:
        try:
            conditions.append(parse_filter(text, custom))
        except QueryError as exc:
            problems.append(str(exc))
    if problems:
        raise QueryError("\n".join(problems))
    return conditions


def search_terms(text: str) -> list[str]:
    """The folded words of a search text (at most 8; empty when nothing is searchable)."""
    return [word for word in fold(text).split() if word][:8]


def rank(number: str, name: str, terms: Sequence[str], query: str, *, extra: str = "") -> tuple:
    """Sort key of a search hit: exact number, number prefix, name exact, name prefix, then words at a start."""
    q, num, nm = fold(query).strip(), fold(number), fold(name)
    words = (nm + " " + fold(extra)).split()
    starts = sum(1 for t in terms if any(w.startswith(t) for w in words))
    by_number = num if num.startswith(q) else ""  # numbers starting so: in number order
    return (num != q, not num.startswith(q), by_number, nm != q, not nm.startswith(q), -starts, len(nm), num)


# An export's columns per subject: (key, header). BSN is never among them, not even masked.
CLIENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("client_number", "Cliëntnummer"), ("name", "Naam"), ("status", "Status"), ("type", "Type"),
    ("legal_form", "Rechtsvorm"), ("city", "Plaats"), ("risk", "Risicoclassificatie"),
    ("products", "Producten"), ("indicators", "Indicatoren"),
)
PERSON_COLUMNS: tuple[tuple[str, str], ...] = (
    ("contact_number", "Contactnummer"), ("person_name", "Naam"), ("email", "E-mail"), ("function", "Functie"),
    ("client_number", "Cliëntnummer"), ("client_name", "Cliënt"), ("primary", "Primair"),
    ("indicators", "Indicatoren"),
)


def columns_for(subject: str, custom: Mapping[str, PropertyDef] | Sequence[PropertyDef] = ()) -> list[tuple[str, str]]:
    """The export columns of a subject, with one column per custom property of that side."""
    base = list(CLIENT_COLUMNS if subject == "clients" else PERSON_COLUMNS)
    side = "client" if subject == "clients" else "person"
    defs = custom.values() if isinstance(custom, Mapping) else custom
    return base + [(f"prop:{p.name}", p.name) for p in defs if p.kind != "indicator" and p.target == side]
