"""Possible duplicates: a new person who looks like a person sbrflow (or the file) already has.

A new contact number whose e-mail address, or name and date of birth, matches another contact
number is imported anyway — only the office can tell a duplicate from a namesake — but listed.
The same rules (plus the same BSN, compared in SQL and never shown) warn when a person is created
by hand (`person_candidates`, used by `sbrflow crm add-person`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sbrflow.domain.vocabulary import word_key
from sbrflow.integrations.crm import ContactRow, Problem, Severity
from sbrflow.models import Person
from sbrflow.models.db import chunks


@dataclass(frozen=True, slots=True)
class PossibleDuplicate:
    """A new person (sheet/row/contact number) that matches another contact number on `on`."""

    sheet: str
    row: int
    contact_number: str
    matches: str
    on: str  # "e-mail" or "name and date of birth"

    def problem(self) -> Problem:
        """As a warning in the import report (no e-mail or date of birth shown: personal data)."""
        return Problem(Severity.WARNING, self.sheet, self.row, None, self.contact_number,
                       f"Contact {self.contact_number} is new but may be the same person as contact "
                       f"{self.matches} (same {self.on}); it is imported, check it and merge if needed.")


def _name_key(last_name: str | None, prefix: str | None, first: str | None, initials: str | None,
              born: date | None) -> tuple | None:
    # Initials or first name: offices type one or the other, so compare the first letter only.
    given = word_key(first or initials or "")[:1]
    return (word_key(f"{prefix or ''}{last_name or ''}"), given, born) if born and last_name else None


SAME_EMAIL, SAME_NAME_AND_BIRTH, SAME_BSN = "e-mail", "name and date of birth", "BSN"


def person_candidates(session: Session, *, last_name: str | None, name_prefix: str | None = None,
                      first_name: str | None = None, initials: str | None = None, email: str | None = None,
                      date_of_birth: date | None = None, bsn: str | None = None) -> dict[str, list[str]]:
    """Persons in the database that are probably this new person: contact number → the rules they match.

    `email` and `bsn` are compared normalised (lower case; 9 digits). The BSN is compared by the
    database (a bound parameter, hidden from logs): no BSN is read back, and the rule is named "BSN".
    """
    found: dict[str, list[str]] = defaultdict(list)
    if email:
        for number in session.scalars(sa.select(Person.contact_number)
                                      .where(Person.email == email.lower())):  # stored lower case
            found[number].append(SAME_EMAIL)
    key = _name_key(last_name, name_prefix, first_name, initials, date_of_birth)
    if key is not None:
        for number, *name in session.execute(
                sa.select(Person.contact_number, Person.last_name, Person.name_prefix, Person.first_name,
                          Person.initials, Person.date_of_birth).where(Person.date_of_birth == date_of_birth)):
            if _name_key(*name) == key:
                found[number].append(SAME_NAME_AND_BIRTH)
    if bsn:
        for number in session.scalars(sa.select(Person.contact_number).where(Person.bsn == bsn)):
            found[number].append(SAME_BSN)
    return dict(sorted(found.items()))


def find_possible_duplicates(session: Session, new_persons: Sequence[ContactRow]) -> list[PossibleDuplicate]:
    """Match new persons against persons in the database and in the file, by e-mail or name + birth date."""
    if not new_persons:
        return []
    by_email: dict[str, set[str]] = defaultdict(set)
    by_name: dict[tuple, set[str]] = defaultdict(set)
    emails = sorted({p.email for p in new_persons if p.email})
    born = sorted({p.date_of_birth for p in new_persons if p.date_of_birth})
    columns = (Person.contact_number, Person.email, Person.last_name, Person.name_prefix, Person.first_name,
               Person.initials, Person.date_of_birth)
    found = []
    for chunk in chunks(emails):
        found += session.execute(sa.select(*columns).where(Person.email.in_(chunk))).all()
    for chunk in chunks(born):
        found += session.execute(sa.select(*columns).where(Person.date_of_birth.in_(chunk))).all()
    found += [(p.contact_number, p.email, p.last_name, p.name_prefix, p.first_name, p.initials, p.date_of_birth)
              for p in new_persons]
    for number, email, *name in found:
        if email:
            by_email[email.lower()].add(number)
        if (key := _name_key(*name)) is not None:
            by_name[key].add(number)
    duplicates = []
    for person in new_persons:
        for on, numbers in (
            ("e-mail", by_email.get(person.email, set()) if person.email else set()),
            ("name and date of birth", by_name.get(_name_key(person.last_name, person.name_prefix,
                                                            person.first_name, person.initials,
                                                            person.date_of_birth), set())),
        ):
            others = sorted(numbers - {person.contact_number})
            if others:
                duplicates.append(PossibleDuplicate(person.sheet, person.row, person.contact_number,
                                                    ", ".join(others), on))
                break
    return duplicates
