"""Hardened XML reading for SBR documents, and the small helpers both parsers share.

Returns come from outside: a source package, a folder anyone can write to, a simulator with fault
injection. So the reader refuses everything an SBR return never needs: a DTD (and with it entity
expansion — billion laughs — and external entities — XXE), network or file access, and documents
above a size limit. Elements and attributes are matched on their local names, because the
taxonomy namespaces change every year (nt15/bd/20201209 … nt20/bd/20251210).
"""

from __future__ import annotations

import pyexpat
import re
from datetime import date, datetime
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import DefusedXMLParser
from stdnum.nl import bsn as _bsn

from sbrflow.integrations.sbr.errors import InvalidReturnDocument

_MIB = 1024 * 1024
# Whitespace some exporters put before the XML declaration; expat refuses a declaration that is
# not at the very start, and refusing a return over a newline helps nobody. (The hash is taken
# over the exact bytes before this.)
_LEADING_WHITESPACE = b" \t\r\n"
# Amounts are whole euros in both formats (werknemersgegevens have cents). 13 digits is far
# beyond any real amount, fits a NUMERIC(15, 2) column and keeps "1E999999999" out.
_AMOUNT = re.compile(r"^[+-]?\d{1,13}(?:\.\d{1,2})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FISCAL_ID = {"B": re.compile(r"^(\d{1,9})B(\d{2})$"), "L": re.compile(r"^(\d{1,9})L(\d{2})$")}
_FISCAL_LABEL = {
    "B": "an OB-nummer (9 digits, B, 2 digits)",
    "L": "a loonheffingennummer (9 digits, L, 2 digits)",
}
# Separators people and some packages put inside numbers: spaces and dots.
_SEPARATORS = re.compile(r"[\s.]+")
_TIMESTAMP_FORMATS = ("%Y%m%d%H%M", "%Y%m%d%H%M%S")
# Longest accepted software name, software version and message reference (name and version
# together stay within 120); longest schema href.
TEXT_LIMIT = 50
SCHEMA_LIMIT = 255


def read_xml(data: bytes, *, max_bytes: int, skip: frozenset[str] = frozenset()) -> Element:
    """Parse `data` into a tree without the `skip` subtrees; InvalidReturnDocument if it cannot be."""
    if len(data) > max_bytes:
        # max_bytes + 1 bytes is what a reader that stopped at the limit hands over: the size is unknown.
        raise InvalidReturnDocument(too_large_message(None if len(data) == max_bytes + 1 else len(data), max_bytes),
                                    code="too_large")
    text = data.lstrip(_LEADING_WHITESPACE)
    if not text:
        raise InvalidReturnDocument("document is empty", code="not_xml")
    parser = DefusedXMLParser(
        target=_Builder(skip), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    # Errors are re-raised `from None`: the message says it all, and a chained parser traceback
    # is exactly what an operator should not have to read.
    fed = False
    try:
        parser.feed(text)
        fed = True
        root = parser.close()
    except _TooManyElements:
        raise InvalidReturnDocument(
            f"document has more than {MAX_ELEMENTS:,} elements (outside the employee data); a return never "
            "has that many, so it is refused", code="too_large") from None
    except ParseError as err:
        raise InvalidReturnDocument(_syntax_message(err, at_end=fed), code="not_xml") from None
    except DTDForbidden:
        raise InvalidReturnDocument(
            "document has a DTD (<!DOCTYPE …>); SBR returns never have one, and a DTD can expand "
            "entities or read external files, so it is refused",
            code="dtd",
        ) from None
    except DefusedXmlException:
        raise InvalidReturnDocument(
            "document declares entities or external references; SBR returns never do, so it is refused",
            code="dtd",
        ) from None
    except (LookupError, ValueError):
        # LookupError: an unknown encoding name; ValueError: a multi-byte one expat cannot take.
        raise InvalidReturnDocument(
            "document declares a character encoding that cannot be read (returns use UTF-8 or ISO-8859-1)",
            code="not_xml",
        ) from None
    if root is None:  # the root itself was left out
        raise InvalidReturnDocument(
            "the root element is employee data, not a VAT or payroll return", code="wrong_type"
        )
    return root


# Elements kept in the tree (employee data is left out, so it does not count): a VAT return has a few
# hundred, a Loonaangifte without its employees a few thousand at most.
MAX_ELEMENTS = 250_000


class _TooManyElements(Exception):
    pass


def too_large_message(size: int | None, limit: int) -> str:
    """'document is 143.0 MiB, larger than the 32.0 MiB limit' (or 'larger than …' when the size is unknown)."""
    if size is None:
        return f"document is larger than the {_size(limit)} limit"
    return f"document is {_size(size)}, larger than the {_size(limit)} limit"


class _Builder:
    """Parser target that builds the tree but leaves out whole subtrees by local name.

    Used to drop employee data (InkomstenverhoudingInitieel) while parsing: it never becomes part
    of the tree, so it cannot leak from it, and a payroll return of 10,000 employees stays small
    in memory. The C TreeBuilder underneath keeps the tree in C elements: faster, and iterating a
    deeply nested tree does not recurse in Python.
    """

    def __init__(self, skip: frozenset[str]) -> None:
        self._builder = TreeBuilder()
        self._skip = skip
        self._depth = 0  # > 0 while inside a left-out subtree
        self._built = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self._depth:
            self._depth += 1
        elif self._skip and tag.rpartition("}")[2] in self._skip:
            self._depth = 1
        else:
            self._built += 1
            if self._built > MAX_ELEMENTS:  # 8 million empty elements would take ~1 GB as a tree
                raise _TooManyElements
            self._builder.start(tag, attrs)

    def end(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1
        else:
            self._builder.end(tag)

    def data(self, text: str) -> None:
        if not self._depth:
            self._builder.data(text)

    def close(self) -> Element:
        return self._builder.close()


def local(tag: object) -> str:
    """Local name of an element tag or attribute name: `{ns}ValueAddedTaxOwed` → `ValueAddedTaxOwed`."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def namespace(tag: str) -> str:
    """Namespace URI of a tag in `{ns}name` form, or '' when it has none."""
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def children(parent: Element, name: str) -> list[Element]:
    """Direct children of `parent` with local name `name`, in document order."""
    return [child for child in parent if local(child.tag) == name]


def only_child(parent: Element, name: str, where: str) -> Element | None:
    """The single direct child `name` of `parent`, None when absent; two of them is an error."""
    found = children(parent, name)
    if len(found) > 1:
        raise InvalidReturnDocument(
            f"{where} has {len(found)} {name} elements; expected one", code="ambiguous"
        )
    return found[0] if found else None


def child_text(parent: Element | None, name: str, where: str) -> str | None:
    """Stripped text of the single child `name`, or None when it is absent or empty."""
    if parent is None:
        return None
    found = only_child(parent, name, where)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def attribute(element: Element, name: str) -> str | None:
    """Value of the attribute with local name `name` (e.g. xlink:href → 'href'), if present."""
    value = element.get(name)  # unqualified, as XBRL's contextRef, unitRef, id and scheme are
    if value is not None:
        return value
    for key, value in element.attrib.items():
        if local(key) == name:
            return value
    return None


def bounded(value: str | None, what: str, limit: int) -> str | None:
    """`value` if it is at most `limit` characters, else InvalidReturnDocument naming `what`."""
    # The XSDs allow 20–35 characters for these texts; an endless one would only fail later, in
    # the database, and block the intake of everything behind it.
    if value is not None and len(value) > limit:
        raise InvalidReturnDocument(f"{what} is longer than {limit} characters", code="bad_value")
    return value


def require(value: str | None, what: str) -> str:
    """`value`, or InvalidReturnDocument saying that `what` is missing."""
    if value is None:
        raise InvalidReturnDocument(f"no {what} in the document", code="missing")
    return value


def amount(text: str, what: str) -> Decimal:
    """A euro amount as Decimal; `what` names the element in the error message."""
    if not _AMOUNT.match(text):
        raise InvalidReturnDocument(f"{what} is not an amount in euros: {_quote(text)}", code="bad_value")
    return Decimal(text)


def iso_date(text: str, what: str) -> date:
    """A date in YYYY-MM-DD form; `what` names the element in the error message."""
    if _DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass  # the right shape but no such day, e.g. 2021-02-30: reported below
    raise InvalidReturnDocument(f"{what} is not a date (YYYY-MM-DD): {_quote(text)}", code="bad_value")


def period(start: date, end: date, where: str) -> tuple[date, date]:
    """(start, end), or an error when the period ends before it starts."""
    if end < start:
        raise InvalidReturnDocument(
            f"{where} period ends ({end.isoformat()}) before it starts ({start.isoformat()})",
            code="bad_value",
        )
    return start, end


def timestamp(text: str | None) -> datetime | None:
    """Creation time from `YYYYMMDDhhmm` (XBRL DateTimeCreation) or ISO (Loonaangifte DatTdAanm)."""
    # Metadata only: an unreadable value gives None rather than rejecting the return.
    if not text:
        return None
    for layout in _TIMESTAMP_FORMATS:
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def fiscal_id(text: str, letter: str, what: str) -> str:
    """Normalised OB-nummer (letter B) or loonheffingennummer (letter L), e.g. 001000044B37."""
    # Upper case, no spaces or dots, padded to 9 digits: exporters, like spreadsheets, drop
    # leading zeros. Shape and elfproef are checked. The value is never quoted in the error: for a
    # sole trader it holds the owner's BSN.
    cleaned = _SEPARATORS.sub("", text).upper()
    found = _FISCAL_ID[letter].match(cleaned)
    if not found:
        raise InvalidReturnDocument(f"{what} is not {_FISCAL_LABEL[letter]}", code="bad_value")
    digits = found.group(1).zfill(9)
    if int(digits) == 0 or _bsn.checksum(digits) != 0:
        # Said here, rather than left to matching as "no client has this number".
        raise InvalidReturnDocument(
            f"{what} is not {_FISCAL_LABEL[letter]}: its check digit is wrong (the 9 digits fail the elfproef), "
            "so the number was mistyped in the package that made the return", code="bad_check_digit")
    return f"{digits}{letter}{found.group(2)}"


def _syntax_message(err: ParseError, *, at_end: bool) -> str:
    line, column = getattr(err, "position", (0, 0))
    code = getattr(err, "code", None)
    reason = pyexpat.ErrorString(code) if isinstance(code, int) else str(err)
    if at_end:
        # Every byte was read without complaint, then elements were still open: cut off in transit.
        return f"document ends before it is complete, at line {line} (is it truncated?): {reason}"
    return f"document is not well-formed XML at line {line}, column {column + 1}: {reason}"


def _quote(text: str) -> str:
    # Enough to recognise the value, never a whole document pasted into an error message.
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _size(n: int) -> str:
    return f"{n / _MIB:.1f} MiB" if n >= _MIB else f"{n:,} bytes"
