"""The office's fixed vocabularies: client kinds and statuses, roles, products, frequencies.

Values are the stored form (lower-case English); Dutch words used by offices map onto them
in the CRM import.
"""

from __future__ import annotations

from enum import StrEnum


class ClientKind(StrEnum):
    """Klant-Bedrijf or Klant-Persoon."""

    COMPANY = "company"
    PERSON = "person"


class ClientStatus(StrEnum):
    """Klantstatus (AuditCase's list). Only CLIENT takes part in integrations and planning.

    RELATION and OWN_SERVICE_PROVIDER are not clients at all: banks, notaries, the Chamber of
    Commerce, the office's own suppliers.
    """

    SUSPECT = "suspect"
    PROSPECT = "prospect"
    CLIENT_REQUEST = "client_request"  # klantaanvraag
    ACCEPTANCE_DRAFT = "acceptance_draft"  # klantacceptatie-concept
    ACCEPTANCE_REVIEW = "acceptance_review"  # klantacceptatie-ter goedkeuring
    ACCEPTANCE_ADMIN = "acceptance_admin"  # klantacceptatie-centrale administratie
    CLIENT = "client"
    FORMER_CLIENT = "former_client"  # geen klant meer
    RELATION = "relation"  # relatie
    OWN_SERVICE_PROVIDER = "own_service_provider"  # dienstverlener eigen organisatie


# Statuses of registrations that are not (and never become) clients.
NON_CLIENT_STATUSES = frozenset({ClientStatus.RELATION, ClientStatus.OWN_SERVICE_PROVIDER})


class Role(StrEnum):
    """The six roles a team member holds per client."""

    RELATIEBEHEERDER = "relatiebeheerder"
    ACCOUNTANT = "accountant"
    FISCAAL = "fiscaal"
    ADMINISTRATIE = "administratie"
    SALARIS = "salaris"
    SECRETARIAAT = "secretariaat"


class Product(StrEnum):
    """The services a client can take."""

    VAT_RETURN = "vat_return"
    PAYROLL_RETURN = "payroll_return"
    INCOME_TAX = "income_tax"
    CORPORATE_TAX = "corporate_tax"
    ANNUAL_ACCOUNTS = "annual_accounts"


class Frequency(StrEnum):
    """Aangiftetijdvak: how often a return is filed."""

    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"
    FOUR_WEEKLY = "four_weekly"


class Tax(StrEnum):
    """The tax a return is for: omzetbelasting or loonheffingen."""

    OB = "OB"
    LH = "LH"


# The one mapping product ↔ tax: the tax a product's returns are filed under (and whose deadline rule its
# periods follow, domain/periods.py), and back, the product a received return of a tax is for (matching).
# The other products have no tax here: their cases carry no deadline and no SBR return is matched to them.
PRODUCT_TAX: dict[Product, Tax] = {Product.VAT_RETURN: Tax.OB, Product.PAYROLL_RETURN: Tax.LH}
PRODUCT_OF_TAX: dict[Tax, Product] = {tax: product for product, tax in PRODUCT_TAX.items()}


class LegalForm(StrEnum):
    """Rechtsvorm of a client."""

    NATURAL_PERSON = "natural_person"
    SOLE_PROPRIETORSHIP = "sole_proprietorship"  # eenmanszaak
    GENERAL_PARTNERSHIP = "general_partnership"  # vof
    PARTNERSHIP = "partnership"  # maatschap
    LIMITED_PARTNERSHIP = "limited_partnership"  # cv
    BV = "bv"
    NV = "nv"
    FOUNDATION = "foundation"  # stichting
    ASSOCIATION = "association"  # vereniging
    COOPERATIVE = "cooperative"  # coöperatie
    OTHER = "other"


class DocumentKind(StrEnum):
    """Client documents that acceptance needs."""

    ENGAGEMENT_LETTER = "engagement_letter"  # getekende opdrachtbevestiging
    KVK_EXTRACT = "kvk_extract"  # uittreksel Kamer van Koophandel


class RelationType(StrEnum):
    """How a relation (non-client) is tied to a client: "Relatie bij Klant"."""

    BANK = "bank"
    NOTARY = "notary"
    PREVIOUS_ACCOUNTANT = "previous_accountant"
    INSURER = "insurer"
    LAWYER = "lawyer"
    TAX_ADVISOR = "tax_advisor"
    PENSION_FUND = "pension_fund"
    OTHER = "other"


class AddressKind(StrEnum):
    """Bezoekadres, postadres, correspondentieadres."""

    VISITING = "visiting"
    POSTAL = "postal"
    CORRESPONDENCE = "correspondence"
