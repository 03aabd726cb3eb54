"""The sheets and columns of the office's workbook, with the Dutch and English names people use.

A header matches when its folded form (no case, accents, spaces or punctuation: see
vocabulary.word_key) equals the folded Dutch name, English name or an alias.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sbrflow.domain import identifiers, vocabulary
from sbrflow.domain.enums import Role
from sbrflow.domain.vocabulary import word_key
from sbrflow.integrations.crm import cells


@dataclass(frozen=True)
class Column:
    """One column: the field it fills, its headers, how a cell is read, and its help text."""

    field: str
    dutch: str
    english: str
    read: Callable[[str], object]
    aliases: tuple[str, ...] = ()
    required: bool = False
    default: object = None  # the value of an empty cell
    personal: bool = False  # personal data: masked in problems
    as_text: bool = False  # written as text, so Excel keeps leading zeros
    help: str = ""
    example: str = ""

    @property
    def keys(self) -> set[str]:
        """The folded header forms that name this column."""
        return {word_key(name) for name in (self.dutch, self.english, self.field, *self.aliases)}


@dataclass(frozen=True)
class SheetSpec:
    """One kind of sheet: clients, contacts or team."""

    kind: str
    dutch: str
    english: str
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]
    by_key: dict[str, Column] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        table = {key: column for column in self.columns for key in column.keys}
        object.__setattr__(self, "by_key", table)

    @property
    def keys(self) -> set[str]:
        """The folded sheet (or CSV file) names that hold this kind."""
        return {word_key(name) for name in (self.dutch, self.english, self.kind, *self.aliases)}


def _role(role: Role, aliases: tuple[str, ...], what: str) -> Column:
    return Column(
        role.value, vocabulary.label(role), role.value, cells.code, aliases,
        help=f"Code of the team member who does the {what} for this client (see Medewerkers).", example="JDV",
    )


_ID = dict(as_text=True)
CLIENTS = SheetSpec("clients", "Cliënten", "clients", ("klanten", "relaties", "client"), (
    Column("client_number", "Cliëntnummer", "client_number", cells.code,
           ("klantnummer", "relatienummer", "clientnr", "klantnr"), required=True, **_ID,
           help="The office's unique number for the client; the key for updates.", example="1001"),
    Column("name", "Naam", "name", cells.text, ("clientnaam", "klantnaam", "bedrijfsnaam"), required=True,
           help="Name of the company or person.", example="Bakkerij de Vries B.V."),
    Column("kind", "Type", "kind", vocabulary.parse_client_kind, ("soort", "klanttype", "client_kind"),
           required=True, help="Bedrijf or Persoon (Klant-Bedrijf, Klant-Persoon); Relatie-Bedrijf or "
           "Relatie-Persoon for a relation (status Relatie or Dienstverlener eigen organisatie).", example="Bedrijf"),
    Column("status", "Klantstatus", "status", vocabulary.parse_client_status, ("clientstatus",), required=True,
           help="Suspect, Prospect, Klantaanvraag, Klantacceptatie-concept / -ter goedkeuring / -centrale "
                "administratie, Klant, Geen klant meer, Relatie or Dienstverlener eigen organisatie. "
                "Only Klant takes part in planning.", example="Klant"),
    Column("legal_form", "Rechtsvorm", "legal_form", vocabulary.parse_legal_form,
           help="BV, NV, VOF, Maatschap, CV, Eenmanszaak, Stichting, Vereniging, Coöperatie, Natuurlijk persoon.",
           example="BV"),
    Column("rsin", "RSIN", "rsin", identifiers.normalize_rsin, ("fiscaalnummer",), **_ID,
           help="9 digits; leading zeros may be missing.", example="001000044"),
    Column("bsn", "BSN", "bsn", identifiers.normalize_bsn, ("burgerservicenummer",), personal=True, **_ID,
           help="Only for persons and sole traders; 9 digits.", example="111222333"),
    Column("ob_number", "OB-nummer", "ob_number", identifiers.normalize_ob_number,
           ("omzetbelastingnummer", "obnr"), **_ID,
           help="RSIN or BSN + B + 2 digits: the number in VAT returns.", example="001000044B37"),
    Column("vat_id", "BTW-id", "vat_id", identifiers.normalize_vat_id,
           ("btwidentificatienummer", "btwidnummer", "vatnumber"), **_ID,
           help="NL + 9 digits + B + 2 digits: the number on invoices.", example="NL001000044B37"),
    Column("payroll_tax_number", "Loonheffingennummer", "payroll_tax_number",
           identifiers.normalize_payroll_tax_number, ("loonheffingnummer", "lhnummer", "lhnr"), **_ID,
           help="RSIN or BSN + L + 2 digits: the number in payroll returns.", example="001000044L01"),
    Column("kvk_number", "KvK-nummer", "kvk_number", identifiers.normalize_kvk, ("kvk", "kvknr"), **_ID,
           help="8 digits.", example="12345678"),
    Column("ibans", "IBAN", "iban", cells.ibans, ("bankrekening", "rekeningnummer", "ibans"), **_ID,
           help="One or more IBANs, separated by commas.", example="NL91ABNA0417164300"),
    Column("vat_frequency", "Aangifte BTW", "vat_frequency", cells.vat_frequency,
           ("aangifte omzetbelasting", "aangifte ob", "btw aangifte", "vat_return"),
           help="Maand, Kwartaal, Kwartaal feb-apr, Kwartaal mrt-mei or Jaar; empty when not taken.",
           example="Kwartaal"),
    Column("payroll_frequency", "Aangifte loonheffingen", "payroll_frequency", cells.payroll_frequency,
           ("aangifte lh", "loonaangifte", "payroll_return"),
           help="Maand, 4-weken, Halfjaar (binnenschippers) or Jaar; empty when not taken.", example="Maand"),
    _role(Role.RELATIEBEHEERDER, ("relationship_manager", "account manager"), "relationship management"),
    _role(Role.ACCOUNTANT, ("role_accountant",), "audit and compilation"),
    _role(Role.FISCAAL, ("fiscalist", "tax"), "tax work"),
    _role(Role.ADMINISTRATIE, ("administrateur", "bookkeeping"), "bookkeeping"),
    _role(Role.SALARIS, ("salarisadministratie", "payroll"), "payroll"),
    _role(Role.SECRETARIAAT, ("secretariat",), "secretarial work"),
    Column("sbr_enabled", "SBR", "sbr_enabled", cells.yes_no, ("sbr",), default=False,
           help="Ja when returns are filed through SBR.", example="Ja"),
    Column("ideal_enabled", "iDEAL", "ideal_enabled", cells.yes_no, ("ideal",), default=False,
           help="Ja when the client pays through iDEAL.", example="Nee"),
    Column("cluster_head", "Clusterhoofd", "cluster_head", cells.code, ("cluster", "clusterhoofd nummer"), **_ID,
           help="Client number of the head of this client's cluster (may be the client itself).",
           example="1001"),
    Column("billed_to", "Facturatie aan", "billed_to", cells.code, ("factuur aan", "factureren aan"), **_ID,
           help="Client number that receives the invoice for this client.", example="1001"),
    Column("work_stop", "Werkstop", "work_stop", cells.yes_no, ("work stop",), default=False,
           help="Ja while no new work may start for this client (planning blocks with work_stop).", example="Nee"),
    Column("work_stop_reason", "Werkstop reden", "work_stop_reason", cells.text, ("reden werkstop",),
           help="Why the werkstop was set.", example="Facturen onbetaald"),
    Column("work_stop_since", "Werkstop datum", "work_stop_since", cells.day, ("datum werkstop",),
           help="Since when the werkstop holds.", example="01-03-2026"),
))

CONTACTS = SheetSpec("contacts", "Contacten", "contacts", ("contactpersonen", "personen", "contact"), (
    Column("contact_number", "Contactnummer", "contact_number", cells.code,
           ("contactpersoonnummer", "persoonsnummer", "contactnr"), required=True, **_ID,
           help="Unique number of the person; repeat it on one row per client.", example="5001"),
    Column("initials", "Voorletters", "initials", cells.text, help="", example="J.A."),
    Column("first_name", "Voornaam", "first_name", cells.text, ("roepnaam",), example="Jan"),
    Column("name_prefix", "Tussenvoegsel", "name_prefix", cells.text, ("tussenvoegsels",), example="de"),
    Column("last_name", "Achternaam", "last_name", cells.text, ("surname",), required=True, example="Vries"),
    Column("email", "E-mail", "email", identifiers.normalize_email, ("emailadres", "mail"),
           example="jan@bakkerijdevries.nl"),
    Column("phone", "Telefoon", "phone", cells.phone, ("telefoonnummer", "mobiel", "tel"), **_ID,
           example="0612345678"),
    Column("client_number", "Cliëntnummer", "client_number", cells.code, ("klantnummer", "relatienummer"), **_ID,
           help="The client this row links the person to (Cliënten sheet or already in sbrflow).",
           example="1001"),
    Column("function", "Functie", "function", cells.text, ("rol bij client",),
           help="The person's function at this client: DGA, directeur, …", example="DGA"),
    Column("is_primary", "Primair contact", "is_primary", cells.yes_no, ("primary_contact", "hoofdcontact"),
           default=False, help="Ja for the client's main contact.", example="Ja"),
    Column("portal_access", "Portaaltoegang", "portal_access", cells.yes_no, ("portal",), default=False,
           help="Ja when the person may use the client portal for this client.", example="Ja"),
    Column("share_percentage", "Aandelenbelang %", "share_percentage", cells.share,
           ("aandelenbelang", "belang", "share"),
           help="Share in the client, 0–100; above the UBO threshold the person must be identified. "
                "A value below 1 is read as a fraction (0,25 = 25 %); write a share below 1 % as text: 0,5%.",
           example="100"),
    Column("date_of_birth", "Geboortedatum", "date_of_birth", cells.day, ("geboren",), personal=True,
           example="01-05-1980"),
    Column("bsn", "BSN", "bsn", identifiers.normalize_bsn, ("burgerservicenummer",), personal=True, **_ID,
           example="111222333"),
    Column("id_document_type", "ID-type", "id_document_type", cells.text, ("soort id", "legitimatie"),
           help="Paspoort, ID-kaart or rijbewijs (Wwft identification).", example="Paspoort"),
    Column("id_document_number", "ID-nummer", "id_document_number", cells.text, ("documentnummer",),
           personal=True, **_ID, example="NW1234567"),
    Column("id_document_expires_on", "ID geldig tot", "id_document_expires_on", cells.day,
           ("geldig tot",), example="01-05-2030"),
    Column("id_verified_on", "ID geverifieerd op", "id_verified_on", cells.day, ("geverifieerd op",),
           example="15-01-2026"),
    Column("id_verified_by", "ID geverifieerd door", "id_verified_by", cells.code, ("geverifieerd door",), **_ID,
           help="Code of the team member who verified the identification.", example="AB"),
    Column("id_verification_method", "ID verificatiemethode", "id_verification_method", cells.text,
           ("verificatiemethode", "wijze van verificatie"),
           help="How: in persoon, videobellen, eIDAS/iDIN, kopie gewaarmerkt …", example="in persoon"),
    Column("is_pseudo_ubo", "Pseudo-UBO", "pseudo_ubo", cells.yes_no, ("is_pseudo_ubo", "pseudo ubo"),
           default=False, help="Ja when this person is the client's pseudo-UBO (senior management; Wwft) "
                               "because no UBO can be found.", example="Nee"),
    Column("location_code", "Locatiecode", "location_code", cells.code, ("vestiging", "locatie"), **_ID,
           help="The client's location (see Locaties) where this person works: their address is the location's.",
           example=""),
    Column("correspondence_at_client", "Post naar bedrijfsadres", "correspondence_at_client", cells.yes_no,
           ("correspondentie via bedrijf", "post via bedrijf"), default=False,
           help="Ja when this person's post (e.g. a DGA's) goes to this client's business address.", example="Nee"),
    Column("head_contact_number", "Hoofdcontactnummer", "head_contact_number", cells.code,
           ("hoofdcontactpersoon", "head_contact", "hoofdpersoon"), **_ID,
           help="The contact number of the same human registered under another number: this registration "
                "is merged into that head person (its client links move over; the number stays as an alias).",
           example=""),
))

TEAM = SheetSpec("team", "Medewerkers", "team", ("medewerker", "employees", "staff", "team members"), (
    Column("code", "Code", "code", cells.code, ("medewerkercode", "afkorting"), required=True, **_ID,
           help="Short unique code, used in the role columns of Cliënten.", example="JDV"),
    Column("name", "Naam", "name", cells.text, required=True, example="Jeroen de Vos"),
    Column("email", "E-mail", "email", identifiers.normalize_email, ("emailadres", "mail"),
           example="j.devos@kantoor.nl"),
    Column("active", "Actief", "active", cells.yes_no, ("in dienst",), default=True,
           help="Nee for members who left; empty means Ja.", example="Ja"),
    Column("client_approver", "Klantacceptatie goedkeuren", "client_approver", cells.yes_no,
           ("goedkeurder", "mag klant goedkeuren"), default=False,
           help="Ja when the member may approve a new client (ter goedkeuring → centrale administratie).",
           example="Nee"),
    Column("central_admin", "Centrale administratie", "central_admin", cells.yes_no,
           ("centrale administratie klantacceptatie",), default=False,
           help="Ja when the member registers accepted clients centrally (centrale administratie → Klant).",
           example="Nee"),
))

def _address_columns() -> tuple[Column, ...]:
    return (
        Column("street", "Straat", "street", cells.text, ("straatnaam",), example="Dorpsstraat"),
        Column("house_number", "Huisnummer", "house_number", cells.code, ("nummer", "huisnr"), **_ID, example="12"),
        Column("house_number_addition", "Toevoeging", "house_number_addition", cells.text,
               ("huisnummertoevoeging", "addition"), example="A"),
        Column("postcode", "Postcode", "postcode", cells.postcode, ("zip", "postal code"),
               help="Dutch postcode 1234 AB (checked); other countries as written.", example="1234 AB"),
        Column("city", "Plaats", "city", cells.text, ("woonplaats", "vestigingsplaats", "town"), example="Utrecht"),
        Column("country", "Land", "country", cells.country, ("landcode",), default="NL",
               help="Two-letter country code; empty means NL.", example="NL"),
    )


_CLIENT_REF = dict(required=True, **_ID)
RELATIONS = SheetSpec("relations", "Relaties bij klant", "client_relations",
                      ("relatie bij klant", "relaties bij klanten", "relations"), (
    Column("client_number", "Cliëntnummer", "client_number", cells.code, ("klantnummer",), **_CLIENT_REF,
           help="The client.", example="1001"),
    Column("relation_number", "Relatienummer", "relation_number", cells.code, ("relatie",), **_CLIENT_REF,
           help="Number of the relation (a row on Cliënten with status Relatie or Dienstverlener eigen organisatie).",
           example="9001"),
    Column("relation_type", "Soort relatie", "relation_type", vocabulary.parse_relation_type, ("soort", "type"),
           required=True, help="Bank, Notaris, Accountant vorige, Verzekeraar, Advocaat, Belastingadviseur, "
                               "Pensioenfonds or Overig.", example="Bank"),
))
LOCATIONS = SheetSpec("locations", "Locaties", "locations", ("vestigingen", "locatie"), (
    Column("client_number", "Cliëntnummer", "client_number", cells.code, ("klantnummer",), **_CLIENT_REF,
           example="1002"),
    Column("code", "Locatiecode", "location_code", cells.code, ("vestigingsnummer", "locatie"), required=True, **_ID,
           help="The location's code, unique per client.", example="L1"),
    Column("name", "Naam", "name", cells.text, ("locatienaam",), required=True, example="Werkplaats Utrecht"),
    *_address_columns(),
))
ADDRESSES = SheetSpec("addresses", "Adressen", "addresses", ("adres",), (
    Column("client_number", "Cliëntnummer", "client_number", cells.code, ("klantnummer", "relatienummer"), **_ID,
           help="The client or relation this address belongs to; or fill Contactnummer.", example="1001"),
    Column("contact_number", "Contactnummer", "contact_number", cells.code, ("contactpersoonnummer",), **_ID,
           help="The person this address belongs to; or fill Cliëntnummer.", example=""),
    Column("kind", "Soort adres", "address_kind", vocabulary.parse_address_kind, ("adressoort", "soort"),
           required=True, help="Bezoekadres, Postadres or Correspondentieadres.", example="Bezoekadres"),
    *_address_columns(),
))
SHAREHOLDINGS = SheetSpec("shareholdings", "Aandeelhouders", "shareholdings", ("aandelen", "deelnemingen"), (
    Column("client_number", "Cliëntnummer", "client_number", cells.code, ("deelneming", "klantnummer"),
           **_CLIENT_REF, help="The company whose shares are held.", example="1002"),
    Column("holder_number", "Aandeelhouder", "holder_number", cells.code,
           ("aandeelhouder cliëntnummer", "holding"), **_CLIENT_REF,
           help="Client number of the company that holds them (a holding). A person's own share goes on "
                "Contacten (Aandelenbelang %).", example="1001"),
    Column("share_percentage", "Aandelenbelang %", "share_percentage", cells.share, ("belang", "share"),
           required=True, help="0–100. A person's share through holdings multiplies along the chain.",
           example="100"),
))
GENERAL = SheetSpec("general", "Algemene correspondentie", "general_addressees",
                    ("algemene adressering", "general correspondence", "algemeen"), (
    Column("client_number", "Cliëntnummer", "client_number", cells.code, ("klantnummer", "relatienummer"),
           **_CLIENT_REF, example="1002"),
    Column("name", "Naam", "name", cells.text, ("aanhef", "adressering"), required=True,
           help="A general addressee at the company, no person: de directie, het secretariaat, de administratie.",
           example="De directie"),
    Column("email", "E-mail", "email", identifiers.normalize_email, ("emailadres", "mail"),
           example="directie@bouw.example"),
    Column("location_code", "Locatiecode", "location_code", cells.code, ("vestiging", "locatie"), **_ID,
           help="A location of the client (see Locaties): the addressee then uses its address.", example="L1"),
))
DOCUMENTS = SheetSpec("documents", "Documenten", "documents", ("klantdocumenten", "document"), (
    Column("client_number", "Cliëntnummer", "client_number", cells.code, ("klantnummer",), **_CLIENT_REF,
           example="1001"),
    Column("kind", "Document", "document", vocabulary.parse_document_kind, ("soort document",), required=True,
           help="Opdrachtbevestiging (signed engagement letter) or KvK-uittreksel.", example="Opdrachtbevestiging"),
    Column("reference", "Referentie", "reference", cells.text, ("kenmerk", "documentnummer", "link"), required=True,
           help="Where the document is: its id in the office's document system, or a path.", example="DMS-2026-0001"),
    Column("dated", "Datum", "dated", cells.day, ("documentdatum",), example="15-01-2026"),
))

# The sheets in the order they are read, written and reported; structure sheets after the three basic ones.
SHEETS = (CLIENTS, CONTACTS, TEAM, RELATIONS, LOCATIONS, ADDRESSES, GENERAL, SHAREHOLDINGS, DOCUMENTS)
STRUCTURE_SHEETS = (RELATIONS, LOCATIONS, ADDRESSES, GENERAL, SHAREHOLDINGS, DOCUMENTS)
# Sheets that explain the workbook; reading skips them without a warning.
EXPLANATION_SHEETS = {word_key(name) for name in ("Uitleg", "explanation", "toelichting", "instructies", "help")}


def spec_for_sheet(name: str, *, allow_partial: bool = False) -> SheetSpec | None:
    """The sheet kind a sheet or CSV file name stands for, or None.

    CSV files may carry more in their name (`export-clienten-2026.csv`): with allow_partial a
    name that contains exactly one kind's name counts.
    """
    key = word_key(name)
    exact = [spec for spec in SHEETS if key in spec.keys]
    if exact or not allow_partial:
        return exact[0] if exact else None
    found = {spec.kind: max(len(alias) for alias in spec.keys if len(alias) > 3 and alias in key)
             for spec in SHEETS if any(alias in key for alias in spec.keys if len(alias) > 3)}
    # The longest name wins: `relaties-bij-klant.csv` is the relations sheet, not Cliënten (alias `relaties`).
    best = sorted(found.items(), key=lambda item: -item[1])
    if not best or (len(best) > 1 and best[0][1] == best[1][1]):
        return None
    return next(spec for spec in SHEETS if spec.kind == best[0][0])
