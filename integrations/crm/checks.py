"""Checks across the rows of one sheet: duplicates, one person's details, numbers that should agree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sbrflow.domain.enums import NON_CLIENT_STATUSES
from sbrflow.domain.vocabulary import is_relation_type
from sbrflow.integrations.crm.records import PERSON_FIELDS
from sbrflow.integrations.crm.validate import ParsedSheet


def _rows_text(rows: Sequence[int]) -> str:
    numbers = [str(row) for row in rows]
    return numbers[0] if len(numbers) == 1 else f"{', '.join(numbers[:-1])} and {numbers[-1]}"


def _quoted(text: str) -> str:
    return f"'{text}'" if text else "empty"


def _groups(sheet: ParsedSheet, *fields: str, skip_none: tuple[bool, ...]) -> dict[tuple, list[int]]:
    """Positions of rows per key; keys with a missing (empty or wrong) required part are left out."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    columns = [sheet.values[name] for name in fields]
    for position, key in enumerate(zip(*columns, strict=True)):
        if any(part is None and skip for part, skip in zip(key, skip_none, strict=True)):
            continue
        groups[key].append(position)
    return groups


def check_duplicates(sheet: ParsedSheet) -> None:
    """Each client number, contact number × client, and team code appears once."""
    kind = sheet.spec.kind
    if kind == "contacts":
        groups = _groups(sheet, "contact_number", "client_number", skip_none=(True, False))
    else:
        groups = _groups(sheet, "client_number" if kind == "clients" else "code", skip_none=(True,))
    for key, positions in groups.items():
        if len(positions) < 2:
            continue
        rows = [sheet.rows[position] for position in positions]
        for position, row in zip(positions, rows, strict=True):
            others = _rows_text([other for other in rows if other != row])
            if kind == "clients":
                field = "client_number"
                message = f"Client number {key[0]} is also on row {others}; each client needs its own number."
            elif kind == "team":
                field = "code"
                message = f"Team member code {key[0]} is also on row {others}; each member needs their own code."
            else:
                field = "contact_number"
                client = f"client {key[1]}" if key[1] is not None else "no client"
                message = (f"Contact {key[0]} is linked to {client} again on row {others}; "
                           "link a person to a client once.")
            sheet.error(row, field, sheet.texts[field][position], message)


def check_persons(sheet: ParsedSheet) -> None:
    """The rows of one contact number (one per client) agree on the person's own fields."""
    groups = _groups(sheet, "contact_number", skip_none=(True,))
    for (number,), positions in groups.items():
        if len(positions) < 2:
            continue
        for name in PERSON_FIELDS:
            values, texts = sheet.values[name], sheet.texts[name]
            # A cell that could not be read already has its own error; compare only readable ones.
            readable = [p for p in positions if not (values[p] is None and texts[p])]
            if len({values[p] for p in readable}) < 2:
                continue
            header = sheet.headers.get(name, name)
            for position in readable:
                other = next(p for p in readable if values[p] != values[position])
                here, there = (_quoted(sheet.shown(name, texts[p])) for p in (position, other))
                sheet.error(
                    sheet.rows[position], name, texts[position],
                    f"Contact {number} has {header} {here} on this row but {there} on row {sheet.rows[other]}; "
                    "a person's own details must be the same on every row of their contact number.",
                )


def check_primary_contacts(sheet: ParsedSheet) -> None:
    """Warn when a client has more than one primary contact."""
    primaries: dict[str, list[int]] = defaultdict(list)
    links = zip(sheet.values["client_number"], sheet.values["is_primary"], strict=True)
    for position, (client, primary) in enumerate(links):
        if client is not None and primary and sheet.rows[position] not in sheet.bad:
            primaries[client].append(sheet.rows[position])
    for client, rows in primaries.items():
        if len(rows) > 1:
            for row in rows:
                others = _rows_text([other for other in rows if other != row])
                sheet.warn(row, "is_primary", None, f"Client {client} also has a primary contact on row {others}.")


def check_fiscal_numbers(sheet: ParsedSheet) -> None:
    """Warn when the OB-nummer or loonheffingennummer is not built on the client's RSIN or BSN."""
    values = sheet.values
    for position, (rsin, bsn) in enumerate(zip(values["rsin"], values["bsn"], strict=True)):
        own = {number for number in (rsin, bsn) if number}
        if not own or sheet.rows[position] in sheet.bad:
            continue
        for name, what in (("ob_number", "OB-nummer"), ("payroll_tax_number", "loonheffingennummer")):
            number = values[name][position]
            if number and number[:9] not in own:
                sheet.warn(
                    sheet.rows[position], name, sheet.texts[name][position],
                    f"The {what} does not start with this client's RSIN or BSN; "
                    "check that it is the right client's number.",
                )


def check_registration_types(sheet: ParsedSheet) -> None:
    """A Relatie-Bedrijf/-Persoon is not a client: its status must be Relatie or Dienstverlener eigen organisatie."""
    if "status" not in sheet.headers:
        return
    for position, (text, status) in enumerate(zip(sheet.texts["kind"], sheet.values["status"], strict=True)):
        if status is None or not is_relation_type(text) or status in NON_CLIENT_STATUSES:
            continue
        sheet.error(sheet.rows[position], "kind", text,
                    f"A {text} is a relation, not a client: give it the status Relatie or Dienstverlener eigen "
                    f"organisatie, or the type Bedrijf or Persoon.")


def nesting_message(member: str, head: str, heads_head: str) -> str:
    """Why a cluster deeper than one level is refused (AuditCase: one level, a client in one cluster)."""
    return (f"Client {head} is itself in the cluster of {heads_head}, so {member} would be two levels deep; "
            f"a cluster is one level deep: name {heads_head} as the cluster head, or take {head} out of "
            f"{heads_head}'s cluster.")


def check_cluster_depth(sheet: ParsedSheet) -> None:
    """A cluster head is not itself a member of another cluster (clusters are one level deep)."""
    if "cluster_head" not in sheet.headers:
        return
    numbers, heads = sheet.values["client_number"], sheet.values["cluster_head"]
    head_of = {number: head for number, head in zip(numbers, heads, strict=True)
               if number is not None and head is not None and head != number}
    for position, (number, head) in enumerate(zip(numbers, heads, strict=True)):
        if number is None or head is None or head == number:
            continue
        heads_head = head_of.get(head)
        if heads_head is not None:
            sheet.error(sheet.rows[position], "cluster_head", sheet.texts["cluster_head"][position],
                        nesting_message(number, head, heads_head))


def check_sheet(sheet: ParsedSheet) -> None:
    """Run the checks that need all rows of one sheet."""
    if not sheet.values:  # a required column is missing: there is nothing to compare
        return
    if sheet.spec.kind not in ("clients", "contacts", "team"):
        from sbrflow.integrations.crm.structure import check_structure_sheet

        check_structure_sheet(sheet)
        return
    check_duplicates(sheet)
    if sheet.spec.kind == "contacts":
        check_persons(sheet)
        check_primary_contacts(sheet)
    elif sheet.spec.kind == "clients":
        check_fiscal_numbers(sheet)
        check_registration_types(sheet)
        check_cluster_depth(sheet)
