"""Parse an SBR return — a VAT return in XBRL or a Loonaangifte — into one normalised record.

Pure: bytes in, a `ParsedReturn` out, no database, no network, no logging. Anything that is not
a readable return (unparseable, too large, hostile, or simply another kind of document) raises
`InvalidReturnDocument` with a message that says what is wrong.

    >>> parsed = parse_return(Path("VB-01_bd-rpt-ob-aangifte-2021.xbrl").read_bytes())
    >>> parsed.fiscal_id, parsed.period_start, parsed.amount_due
    ('001000044B37', datetime.date(2021, 10, 1), Decimal('3240'))
"""

from __future__ import annotations

import hashlib

from sbrflow.integrations.sbr.errors import InvalidReturnDocument
from sbrflow.integrations.sbr.loonaangifte import parse_loonaangifte
from sbrflow.integrations.sbr.record import CorrectedPeriod, ParsedReturn, ReturnKind
from sbrflow.integrations.sbr.safexml import local, namespace, read_xml
from sbrflow.integrations.sbr.xbrl import parse_vat_xbrl

__all__ = [
    "DEFAULT_MAX_BYTES",
    "CorrectedPeriod",
    "InvalidReturnDocument",
    "ParsedReturn",
    "ReturnKind",
    "parse_return",
]

# A VAT return is ~5 KB; a Loonaangifte is ~3 KB per employee, so 32 MiB holds an employer of
# about 10,000 employees. Larger payrolls pass their own max_bytes.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
XBRL_INSTANCE = "http://www.xbrl.org/2003/instance"
# Employee data in a Loonaangifte: left out of the tree while parsing, so it is never held,
# matched on, logged or shown (DESIGN.md: BSNs of employees are never used for matching).
_PERSONAL = frozenset({"InkomstenverhoudingInitieel", "NatuurlijkPersoon"})


def parse_return(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedReturn:
    """Parse a VAT return (XBRL) or payroll return (Loonaangifte) into a ParsedReturn."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        # A str has lost its original bytes (and with them the hash the approval is given for).
        raise TypeError(f"parse_return takes the document's bytes, not {type(data).__name__}")
    data = bytes(data)
    root = read_xml(data, max_bytes=max_bytes, skip=_PERSONAL)
    digest = hashlib.sha256(data).hexdigest()
    name = local(root.tag)
    if name == "xbrl":
        if namespace(root.tag) != XBRL_INSTANCE:
            raise InvalidReturnDocument(
                f"the root element is <xbrl> in the namespace {namespace(root.tag)[:80]!r}, not an XBRL instance "
                f"({XBRL_INSTANCE}), so it is not a VAT return", code="wrong_type")
        return parse_vat_xbrl(root, sha256=digest, size=len(data))
    if name == "Loonaangifte":
        return parse_loonaangifte(root, sha256=digest, size=len(data))
    raise InvalidReturnDocument(
        f"the root element is <{name[:40]}>, which is neither a VAT return (xbrli:xbrl) "
        "nor a payroll return (Loonaangifte)",
        code="wrong_type",
    )
