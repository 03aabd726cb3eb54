"""The words offices use for kinds, statuses, legal forms, frequencies and yes/no, mapped onto enums.

Matching ignores case, accents, spaces and punctuation, so `B.V.`, `bv` and ` BV ` are one word,
and `Cliënt`, `client` and `CLIENT` another. The first word listed per member is the Dutch label
that exports write, so an export reads back unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

from sbrflow.domain.enums import (
    AddressKind,
    ClientKind,
    ClientStatus,
    DocumentKind,
    Frequency,
    LegalForm,
    Product,
    RelationType,
    Role,
)
from sbrflow.domain.errors import InputError

E = TypeVar("E", bound=StrEnum)


class UnknownWord(InputError):
    """A cell holds a word that is not in the vocabulary of its column."""

    def __init__(self, vocabulary: str, value: object, accepted: Iterable[str]) -> None:
        self.vocabulary = vocabulary
        self.value = "" if value is None else str(value)
        self.accepted = tuple(accepted)
        what = f"'{self.value.strip()}' is not a known {vocabulary}" if self.value.strip() else f"no {vocabulary} given"
        super().__init__(f"{what}; use one of: {', '.join(self.accepted)}.")


def word_key(value: object) -> str:
    """Fold a word for matching: no case, no accents, only letters and digits (`Oud-cliënt` → `oudclient`)."""
    text = unicodedata.normalize("NFKD", str(value)).casefold()
    return "".join(char for char in text if char.isalnum() and not unicodedata.combining(char))


_CLIENT_KINDS: dict[ClientKind, tuple[str, ...]] = {
    ClientKind.COMPANY: ("Bedrijf", "company", "Klant-Bedrijf", "onderneming", "organisatie", "zakelijk",
                         "Relatie-Bedrijf", "relation company"),
    ClientKind.PERSON: ("Persoon", "person", "Klant-Persoon", "particulier", "natuurlijk persoon", "privé",
                        "Relatie-Persoon", "relation person"),
}
_CLIENT_STATUSES: dict[ClientStatus, tuple[str, ...]] = {
    ClientStatus.SUSPECT: ("Suspect", "suspects"),
    ClientStatus.PROSPECT: ("Prospect", "prospects"),
    ClientStatus.CLIENT_REQUEST: ("Klantaanvraag", "cliëntaanvraag", "aanvraag", "client request"),
    ClientStatus.ACCEPTANCE_DRAFT: (
        "Klantacceptatie-concept", "Acceptatie concept", "concept acceptatie", "acceptance draft",
        "klantacceptatie concept", "concept",
    ),
    ClientStatus.ACCEPTANCE_REVIEW: (
        "Klantacceptatie-ter goedkeuring", "Acceptatie beoordeling", "acceptatie review", "acceptatie controle",
        "acceptatie ter beoordeling", "acceptatie ter goedkeuring", "klantacceptatie goedkeuring",
        "acceptance review", "ter goedkeuring",
    ),
    ClientStatus.ACCEPTANCE_ADMIN: (
        "Klantacceptatie-centrale administratie", "Acceptatie administratie", "acceptatie admin",
        "acceptatie administratief", "acceptance administration", "acceptatie centrale administratie",
        "centrale administratie",
    ),
    ClientStatus.CLIENT: (
        "Klant", "Cliënt", "client", "actief", "actieve klant", "klant actief", "customer", "klanten",
    ),
    ClientStatus.FORMER_CLIENT: (
        "Geen klant meer", "Oud-klant", "Ex-klant", "Former client", "oud-cliënt", "ex-cliënt", "ex-client",
        "voormalig klant", "voormalige klant", "beëindigd", "vertrokken", "geen cliënt meer",
    ),
    ClientStatus.RELATION: ("Relatie", "Relaties", "relation", "relations"),
    ClientStatus.OWN_SERVICE_PROVIDER: (
        "Dienstverlener eigen organisatie", "Dienstverleners eigen organisatie", "eigen dienstverlener",
        "own service provider",
    ),
}
_LEGAL_FORMS: dict[LegalForm, tuple[str, ...]] = {
    LegalForm.NATURAL_PERSON: ("Natuurlijk persoon", "natural person", "particulier", "NP", "persoon"),
    LegalForm.SOLE_PROPRIETORSHIP: ("Eenmanszaak", "EZ", "sole trader", "zzp", "zzp'er"),
    LegalForm.GENERAL_PARTNERSHIP: ("VOF", "V.O.F.", "vennootschap onder firma", "general partnership"),
    LegalForm.PARTNERSHIP: ("Maatschap", "partnership"),
    LegalForm.LIMITED_PARTNERSHIP: ("CV", "C.V.", "commanditaire vennootschap", "limited partnership"),
    LegalForm.BV: ("BV", "B.V.", "besloten vennootschap", "private limited company"),
    LegalForm.NV: ("NV", "N.V.", "naamloze vennootschap", "public limited company"),
    LegalForm.FOUNDATION: ("Stichting", "foundation"),
    LegalForm.ASSOCIATION: (
        "Vereniging", "association", "vereniging met volledige rechtsbevoegdheid",
        "vereniging met beperkte rechtsbevoegdheid",
    ),
    LegalForm.COOPERATIVE: ("Coöperatie", "cooperative", "coöperatie U.A.", "coöperatie B.A.", "coöperatie W.A."),
    LegalForm.OTHER: ("Overig", "other", "overige", "anders"),
}
_FREQUENCIES: dict[Frequency, tuple[str, ...]] = {
    Frequency.MONTH: ("Maand", "month", "maandelijks", "monthly", "per maand"),
    Frequency.QUARTER: ("Kwartaal", "quarter", "per kwartaal", "quarterly", "driemaandelijks"),
    Frequency.HALF_YEAR: ("Halfjaar", "half year", "halfjaarlijks", "per halfjaar", "semiannual"),
    Frequency.YEAR: ("Jaar", "year", "jaarlijks", "per jaar", "yearly", "annual", "annually"),
    Frequency.FOUR_WEEKLY: (
        "4-weken", "four weekly", "vierweken", "vier weken", "4-wekelijks", "vierwekelijks", "per 4 weken",
        "4-weekly", "four-weekly",
    ),
}
# Words that mean "this product is not taken", besides an empty cell.
_NOT_TAKEN = ("geen", "nee", "none", "nvt", "n.v.t.", "no")
_ROLES: dict[Role, tuple[str, ...]] = {
    Role.RELATIEBEHEERDER: ("Relatiebeheerder", "relationship manager", "account manager"),
    Role.ACCOUNTANT: ("Accountant",),
    Role.FISCAAL: ("Fiscaal", "fiscalist", "tax", "tax advisor"),
    Role.ADMINISTRATIE: ("Administratie", "administrateur", "bookkeeping", "bookkeeper"),
    Role.SALARIS: ("Salaris", "salarisadministratie", "payroll"),
    Role.SECRETARIAAT: ("Secretariaat", "secretariat", "secretary"),
}
_PRODUCTS: dict[Product, tuple[str, ...]] = {
    Product.VAT_RETURN: ("Aangifte BTW", "aangifte omzetbelasting", "aangifte OB", "btw", "ob", "vat"),
    Product.PAYROLL_RETURN: ("Aangifte loonheffingen", "aangifte LH", "loonheffingen", "lh", "payroll"),
    Product.INCOME_TAX: ("Aangifte IB", "aangifte inkomstenbelasting", "ib", "income tax"),
    Product.CORPORATE_TAX: ("Aangifte VPB", "aangifte vennootschapsbelasting", "vpb", "corporate tax"),
    Product.ANNUAL_ACCOUNTS: ("Jaarrekening", "annual accounts", "jaarstukken"),
}
_DOCUMENT_KINDS: dict[DocumentKind, tuple[str, ...]] = {
    DocumentKind.ENGAGEMENT_LETTER: ("Opdrachtbevestiging", "engagement letter", "getekende opdrachtbevestiging",
                                     "opdrachtbrief"),
    DocumentKind.KVK_EXTRACT: ("KvK-uittreksel", "kvk extract", "uittreksel kvk", "uittreksel handelsregister",
                               "kvk"),
}
_RELATION_TYPES: dict[RelationType, tuple[str, ...]] = {
    RelationType.BANK: ("Bank", "huisbank"),
    RelationType.NOTARY: ("Notaris", "notary"),
    RelationType.PREVIOUS_ACCOUNTANT: ("Accountant vorige", "vorige accountant", "previous accountant",
                                       "accountant voorheen"),
    RelationType.INSURER: ("Verzekeraar", "insurer", "verzekeringen"),
    RelationType.LAWYER: ("Advocaat", "lawyer", "jurist"),
    RelationType.TAX_ADVISOR: ("Belastingadviseur", "tax advisor", "fiscalist extern"),
    RelationType.PENSION_FUND: ("Pensioenfonds", "pension fund", "pensioenuitvoerder"),
    RelationType.OTHER: ("Overig", "other", "anders"),
}
_ADDRESS_KINDS: dict[AddressKind, tuple[str, ...]] = {
    AddressKind.VISITING: ("Bezoekadres", "visiting", "visiting address", "vestigingsadres", "bezoek"),
    AddressKind.POSTAL: ("Postadres", "postal", "postal address", "post"),
    AddressKind.CORRESPONDENCE: ("Correspondentieadres", "correspondence", "correspondence address",
                                 "correspondentie"),
}
_TRUE = ("Ja", "J", "yes", "y", "true", "waar", "1", "x", "aan", "on")
_FALSE = ("Nee", "N", "no", "false", "onwaar", "0", "uit", "off")
_MONTHS = {
    "jan": 1, "feb": 2, "mrt": 3, "maa": 3, "mar": 3, "apr": 4, "mei": 5, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "okt": 10, "oct": 10, "nov": 11, "dec": 12,
}
_SHIFTED_QUARTER = re.compile(r"(?:verschoven)?(?:kwartaal|quarter)(?:vanaf|from|start)?([a-z]{3})[a-z]*")


def _lookup(words: Mapping[E, tuple[str, ...]]) -> dict[str, E]:
    table: dict[str, E] = {}
    for member, aliases in words.items():
        for word in (*aliases, member.value, member.name):
            table[word_key(word)] = member
    return table


def _accepted(words: Mapping[E, tuple[str, ...]]) -> list[str]:
    return [aliases[0] for aliases in words.values()] + [f"or in English {', '.join(m.value for m in words)}"]


_KIND_KEYS = _lookup(_CLIENT_KINDS)
_STATUS_KEYS = _lookup(_CLIENT_STATUSES)
_LEGAL_FORM_KEYS = _lookup(_LEGAL_FORMS)
_FREQUENCY_KEYS = _lookup(_FREQUENCIES)
_ROLE_KEYS = _lookup(_ROLES)
_PRODUCT_KEYS = _lookup(_PRODUCTS)
_DOCUMENT_KEYS = _lookup(_DOCUMENT_KINDS)
_RELATION_KEYS = _lookup(_RELATION_TYPES)
_ADDRESS_KEYS = _lookup(_ADDRESS_KINDS)
_BOOL_KEYS = {word_key(word): True for word in _TRUE} | {word_key(word): False for word in _FALSE}
_NOT_TAKEN_KEYS = {word_key(word) for word in _NOT_TAKEN}
_WORDS_BY_ENUM: dict[type, Mapping] = {
    ClientKind: _CLIENT_KINDS, ClientStatus: _CLIENT_STATUSES, LegalForm: _LEGAL_FORMS,
    Frequency: _FREQUENCIES, Role: _ROLES, Product: _PRODUCTS, DocumentKind: _DOCUMENT_KINDS,
    RelationType: _RELATION_TYPES, AddressKind: _ADDRESS_KINDS,
}


def _parse(table: Mapping[str, E], words: Mapping[E, tuple[str, ...]], vocabulary: str, value: object) -> E:
    member = table.get(word_key("" if value is None else value))
    if member is None:
        raise UnknownWord(vocabulary, value, _accepted(words))
    return member


def is_relation_type(value: object) -> bool:
    """True for the registration types Relatie-Bedrijf and Relatie-Persoon (non-clients)."""
    return word_key("" if value is None else value) in {word_key(w) for w in (
        "Relatie-Bedrijf", "Relatie-Persoon", "relation company", "relation person")}


def parse_client_kind(value: object) -> ClientKind:
    """Map Bedrijf/Persoon (company/person) onto ClientKind."""
    return _parse(_KIND_KEYS, _CLIENT_KINDS, "client type", value)


def parse_client_status(value: object) -> ClientStatus:
    """Map a klantstatus (Prospect, Klant, Oud-klant, …) onto ClientStatus."""
    return _parse(_STATUS_KEYS, _CLIENT_STATUSES, "client status", value)


def parse_legal_form(value: object) -> LegalForm:
    """Map a rechtsvorm (BV, B.V., VOF, Eenmanszaak, Stichting, …) onto LegalForm."""
    return _parse(_LEGAL_FORM_KEYS, _LEGAL_FORMS, "legal form", value)


def parse_role(value: object) -> Role:
    """Map a role name (Relatiebeheerder, Fiscaal, payroll, …) onto Role."""
    return _parse(_ROLE_KEYS, _ROLES, "role", value)


def parse_product(value: object) -> Product:
    """Map a product name (Aangifte BTW, loonheffingen, vat_return, …) onto Product."""
    return _parse(_PRODUCT_KEYS, _PRODUCTS, "product", value)


def parse_document_kind(value: object) -> DocumentKind:
    """Map Opdrachtbevestiging / KvK-uittreksel (engagement_letter, kvk_extract) onto DocumentKind."""
    return _parse(_DOCUMENT_KEYS, _DOCUMENT_KINDS, "client document", value)


def parse_relation_type(value: object) -> RelationType:
    """Map Bank, Notaris, Accountant vorige, Verzekeraar, … onto RelationType."""
    return _parse(_RELATION_KEYS, _RELATION_TYPES, "relation type", value)


def parse_address_kind(value: object) -> AddressKind:
    """Map Bezoekadres, Postadres, Correspondentieadres onto AddressKind."""
    return _parse(_ADDRESS_KEYS, _ADDRESS_KINDS, "address type", value)


def parse_filing_frequency(value: object) -> tuple[Frequency, int | None] | None:
    """Map an aangiftetijdvak to (frequency, first month of the quarter), or None when not taken.

    `Kwartaal` starts in January (1); shifted quarters are written `Kwartaal feb-apr` (2) or
    `Kwartaal mrt-mei` (3). Other frequencies have no start month.
    """
    key = word_key("" if value is None else value)
    if not key or key in _NOT_TAKEN_KEYS:
        return None
    frequency = _FREQUENCY_KEYS.get(key)
    if frequency is not None:
        return frequency, (1 if frequency is Frequency.QUARTER else None)
    shifted = _SHIFTED_QUARTER.fullmatch(key)
    if shifted and shifted.group(1) in _MONTHS:
        return Frequency.QUARTER, (_MONTHS[shifted.group(1)] - 1) % 3 + 1
    accepted = _accepted(_FREQUENCIES)
    accepted.insert(-1, "Kwartaal feb-apr, Kwartaal mrt-mei (shifted quarters)")
    raise UnknownWord("filing frequency", value, [*accepted, "or leave it empty when not taken"])


def parse_frequency(value: object) -> Frequency | None:
    """Map Maand/Kwartaal/Jaar/4-weken (month, quarter, …) onto Frequency; empty means not taken."""
    parsed = parse_filing_frequency(value)
    return None if parsed is None else parsed[0]


def parse_bool(value: object, default: bool | None = None) -> bool:
    """Read Ja/Nee, J/N, Yes/No, 1/0, True/False, WAAR/ONWAAR, Excel booleans and 1.0/0.0.

    An empty cell gives `default`; without a default it is an error.
    """
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip()
    try:  # Excel and CSV exports turn 1 into 1.0 (or 1,0 in Dutch locales)
        number = float(text.replace(",", "."))
    except ValueError:
        number = None
    if number in (0.0, 1.0):
        return number == 1.0
    key = word_key(text)
    if key in _BOOL_KEYS:
        return _BOOL_KEYS[key]
    if not key and default is not None:
        return default
    raise UnknownWord("yes/no value", value, ["Ja", "Nee (or J/N, Yes/No, 1/0, True/False, WAAR/ONWAAR)"])


def label(member: StrEnum) -> str:
    """The Dutch word an export writes for an enum member (`LegalForm.BV` → `BV`)."""
    words: Mapping[StrEnum, tuple[str, ...]] = _WORDS_BY_ENUM.get(type(member), {})
    return words[member][0] if member in words else str(member.value)


def frequency_label(frequency: Frequency | None, quarter_start_month: int | None = None) -> str:
    """The Dutch word for a filing frequency, with the shift of a shifted quarter; '' when not taken."""
    if frequency is None:
        return ""
    if frequency is Frequency.QUARTER and quarter_start_month in (2, 3):
        return {2: "Kwartaal feb-apr", 3: "Kwartaal mrt-mei"}[quarter_start_month]
    return label(frequency)


def bool_label(value: bool | None) -> str:
    """`Ja` or `Nee` for export ('' when unknown)."""
    return "" if value is None else ("Ja" if value else "Nee")
