"""The structure sheets of the workbook: relations at clients, locations, addresses, shareholdings, documents.

Read by the same machinery as the basic sheets (validate.parse_sheet: sheet, row, column and value in
every problem); here the rows become records and the checks across rows of one sheet run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sbrflow.domain.enums import AddressKind, DocumentKind, RelationType
from sbrflow.integrations.crm.validate import ParsedSheet


@dataclass(frozen=True, slots=True)
class AddressFields:
    """Street, number, addition, postcode, city, country: one address."""

    street: str | None = None
    house_number: str | None = None
    house_number_addition: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str = "NL"


ADDRESS_FIELDS = ("street", "house_number", "house_number_addition", "postcode", "city", "country")


@dataclass(frozen=True, slots=True)
class RelationRow:
    """Relatie bij Klant: the client, the relation's number, how they are tied."""

    sheet: str
    row: int
    client_number: str
    relation_number: str
    relation_type: RelationType


@dataclass(frozen=True, slots=True)
class LocationRow:
    """An establishment of a client, with its address."""

    sheet: str
    row: int
    client_number: str
    code: str
    name: str
    address: AddressFields


@dataclass(frozen=True, slots=True)
class AddressRow:
    """A visiting, postal or correspondence address of a client/relation or of a person."""

    sheet: str
    row: int
    kind: AddressKind
    address: AddressFields
    client_number: str | None = None
    contact_number: str | None = None


@dataclass(frozen=True, slots=True)
class GeneralRow:
    """Algemene correspondentie: a general addressee at a client, optionally at one of its locations."""

    sheet: str
    row: int
    client_number: str
    name: str
    email: str | None = None
    location_code: str | None = None


@dataclass(frozen=True, slots=True)
class ShareholdingRow:
    """A client (holding) holding a share of another client."""

    sheet: str
    row: int
    client_number: str
    holder_number: str
    share_percentage: Decimal


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """An acceptance document of a client, by reference."""

    sheet: str
    row: int
    client_number: str
    kind: DocumentKind
    reference: str
    dated: date | None = None


@dataclass(frozen=True)
class Structure:
    """The valid rows of the structure sheets."""

    relations: tuple[RelationRow, ...] = ()
    locations: tuple[LocationRow, ...] = ()
    addresses: tuple[AddressRow, ...] = ()
    general: tuple[GeneralRow, ...] = ()
    shareholdings: tuple[ShareholdingRow, ...] = ()
    documents: tuple[DocumentRow, ...] = ()
    row_counts: dict[str, int] = field(default_factory=dict)

    def valid_count(self, kind: str) -> int:
        """The number of valid rows of a structure sheet kind."""
        return len(getattr(self, kind))


_KEYS = {
    "relations": ("client_number", "relation_number", "relation_type"),
    "locations": ("client_number", "code"),
    "addresses": ("client_number", "contact_number", "kind"),
    "general": ("client_number", "name"),
    "shareholdings": ("client_number", "holder_number"),
    "documents": ("client_number", "kind"),
}


def check_structure_sheet(sheet: ParsedSheet) -> None:
    """Each row's identity appears once; an address belongs to a client or a person; no own shares."""
    kind = sheet.spec.kind
    keys: dict[tuple, list[int]] = defaultdict(list)
    for position, row in enumerate(sheet.rows):
        key = tuple(sheet.values[name][position] for name in _KEYS[kind])
        if kind == "addresses":
            owners = [name for name in ("client_number", "contact_number") if sheet.values[name][position]]
            if len(owners) != 1:
                sheet.error(row, "client_number", sheet.texts["client_number"][position],
                            "An address belongs to one client (Cliëntnummer) or one person (Contactnummer); "
                            "fill exactly one of the two.")
                continue
        if kind == "shareholdings" and key[0] is not None and key[0] == key[1]:
            sheet.error(row, "holder_number", sheet.texts["holder_number"][position],
                        f"Client {key[0]} cannot hold shares in itself.")
        if None not in key[:1]:
            keys[key].append(row)
    for _key, rows in keys.items():
        for row in rows[1:]:
            position = sheet.rows.index(row)
            sheet.error(row, "client_number", sheet.texts["client_number"][position],
                        f"The same {sheet.spec.english.replace('_', ' ')} row is also on row {rows[0]}; keep one.")


def _address(values: dict[str, object]) -> AddressFields:
    return AddressFields(**{name: values[name] for name in ADDRESS_FIELDS if values.get(name) is not None})


def build_structure(sheets: dict[str, ParsedSheet]) -> Structure:
    """The valid rows of each structure sheet in the file, as records."""
    built: dict[str, list] = defaultdict(list)
    counts: dict[str, int] = {}
    for kind, sheet in sheets.items():
        if kind not in _KEYS:
            continue
        counts[kind] = len(sheet.rows)
        if not sheet.values:
            continue
        names = list(sheet.values)
        for position, row in enumerate(sheet.rows):
            if row in sheet.bad:
                continue
            v = {name: sheet.values[name][position] for name in names}
            if kind == "relations":
                built[kind].append(RelationRow(sheet.name, row, v["client_number"], v["relation_number"],
                                               v["relation_type"]))
            elif kind == "locations":
                built[kind].append(LocationRow(sheet.name, row, v["client_number"], v["code"], v["name"], _address(v)))
            elif kind == "addresses":
                built[kind].append(AddressRow(sheet.name, row, v["kind"], _address(v), v["client_number"],
                                              v["contact_number"]))
            elif kind == "general":
                built[kind].append(GeneralRow(sheet.name, row, v["client_number"], v["name"], v["email"],
                                              v["location_code"]))
            elif kind == "shareholdings":
                built[kind].append(ShareholdingRow(sheet.name, row, v["client_number"], v["holder_number"],
                                                   v["share_percentage"]))
            else:
                built[kind].append(DocumentRow(sheet.name, row, v["client_number"], v["kind"], v["reference"],
                                               v["dated"]))
    return Structure(**{kind: tuple(rows) for kind, rows in built.items()}, row_counts=counts)
