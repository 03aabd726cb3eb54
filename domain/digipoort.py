"""Digipoort's delivery statuses and faults: what each code means and what it means for a case.

Sources, and how far each line is checked:
- The happy-flow chain 105, 100, 110, 200, 301, 405, 400, 500 and its Dutch texts are taken from the
  real responses of Digipoort's conformance environment in `samples/digipoort/` (wus.core test data).
- Which codes are final errors (210, 230, 311, 321, 410) and that 420 is a temporary delivery problem
  Digipoort retries for 72 hours: DESIGN.md, after Logius' "Koppelvlakspecificatie WUS voor
  bedrijven" (Digipoort, statuscodes) — the Dutch texts of those codes are written after that
  document from memory; check them against the current Logius publication before relying on them.
- Faults: ALS100–ALS170 and ALS400 (AanleverServiceFault) and STS100 (StatusinformatieServiceFault),
  from the same specification; the meanings per code are a best reading, not a verified copy.
Pure data and rules: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """What a status code means for the delivery as a whole."""

    IN_PROGRESS = "in_progress"
    ACCEPTED = "accepted"  # final success (500)
    FAILED = "failed"  # final error
    RETRYING = "retrying"  # 420: Digipoort retries the delivery for up to 72 hours


@dataclass(frozen=True)
class Code:
    """One status or fault code with its meaning in Dutch and English."""

    code: str
    dutch: str
    english: str
    outcome: Outcome = Outcome.IN_PROGRESS
    transient: bool = False  # a fault worth retrying the same call for (service trouble, not our message)


STATUSES: dict[str, Code] = {c.code: c for c in (
    Code("100", "Aanleveren gelukt.", "Delivery received."),
    Code("105", "Aanleverproces gestart.", "Delivery process started."),
    Code("110", "Aanleverproces wordt aangeboden.", "Delivery is being offered for processing."),
    Code("200", "Authenticatie gelukt.", "Sender authenticated."),
    Code("210", "Authenticatie mislukt.", "Authentication failed.", Outcome.FAILED),
    Code("230", "Autorisatie mislukt.", "Authorisation failed: the sender may not deliver for this party.",
         Outcome.FAILED),
    Code("301", "Validatie gelukt.", "Message validated."),
    Code("311", "Validatie mislukt.", "Validation failed: the message does not meet the specification.",
         Outcome.FAILED),
    Code("321", "Validatie mislukt (berichtinhoud).", "Validation of the message content failed.", Outcome.FAILED),
    Code("400", "Afleveren uitvragende partij gelukt.", "Delivered to the tax authority."),
    Code("405", "Afleveren naar uitvragende partij bezig...", "Delivering to the tax authority."),
    Code("410", "Afleveren uitvragende partij mislukt.", "The tax authority refused or could not take the message.",
         Outcome.FAILED),
    Code("420", "Afleveren uitvragende partij tijdelijk mislukt.",
         "Delivery to the tax authority failed for now; Digipoort retries it for up to 72 hours.",
         Outcome.RETRYING),
    Code("500", "Validatie bij de uitvragende partij gelukt.", "Processed by the tax authority.", Outcome.ACCEPTED),
)}

FAULTS: dict[str, Code] = {c.code: c for c in (
    Code("ALS100", "Technische fout in het aanleverbericht.", "Technical error in the delivery message."),
    Code("ALS101", "Berichtsoort onbekend of niet toegestaan.", "Unknown or disallowed message type (berichtsoort)."),
    Code("ALS102", "Aanleverkenmerk ontbreekt of is ongeldig.",
         "Delivery reference (aanleverkenmerk) missing or invalid."),
    Code("ALS103", "Identiteit belanghebbende ongeldig.", "Invalid identity of the party concerned (fiscal number)."),
    Code("ALS104", "Rol belanghebbende ongeldig.", "Invalid role of the party concerned."),
    Code("ALS105", "Autorisatieadres ongeldig.", "Invalid authorisation address."),
    Code("ALS106", "Berichtinhoud ontbreekt of is niet te lezen.", "Message content missing or unreadable."),
    Code("ALS107", "Bericht te groot.", "Message too large."),
    Code("ALS108", "Certificaat niet geldig of niet herkend.", "Certificate not valid or not recognised."),
    Code("ALS109", "Handtekening (WS-Security) ongeldig.", "WS-Security signature invalid."),
    Code("ALS110", "Tijdstempel ongeldig of verlopen.", "Timestamp invalid or expired."),
    Code("ALS111", "Aanlevering met dit kenmerk is al ontvangen.",
         "A delivery with this reference was already received."),
    Code("ALS150", "Identiteit van de aanleverende partij ongeldig.", "Invalid identity of the delivering party."),
    Code("ALS170", "Ontvangende dienst tijdelijk niet beschikbaar.", "Receiving service temporarily unavailable.",
         transient=True),
    Code("ALS400", "Interne fout bij Digipoort; probeer het later opnieuw.",
         "Internal Digipoort error; try again later.",
         transient=True),
    Code("STS100", "Statusinformatie tijdelijk niet beschikbaar.", "Status information temporarily unavailable.",
         transient=True),
    Code("STS101", "Kenmerk onbekend.", "Unknown kenmerk (delivery reference)."),
    Code("STS102", "Geen autorisatie voor dit kenmerk.", "Not authorised for this kenmerk."),
)}

# How long Digipoort keeps retrying a delivery after a 420 before we call it failed (DESIGN.md).
RETRY_WINDOW_HOURS = 72


def status(code: str) -> Code:
    """The meaning of a status code; an unknown code is in progress, with the code as text."""
    return STATUSES.get(code) or Code(code, f"Onbekende status {code}.", f"Unknown status {code}.")


def fault(code: str) -> Code:
    """The meaning of a fault code; an unknown one is a (non-transient) fault named by its code."""
    return FAULTS.get(code) or Code(code, f"Onbekende fout {code}.", f"Unknown fault {code}.")


def outcome(codes: list[str]) -> Outcome:
    """The delivery's outcome after these status codes, in order: the last final one wins, else the last."""
    result = Outcome.IN_PROGRESS
    for code in codes:
        meaning = status(code).outcome
        if meaning in (Outcome.ACCEPTED, Outcome.FAILED):
            return meaning
        result = meaning
    return result


def meaning(code: str) -> str:
    """'Dutch text / English text' of a status or fault code, for work lists and audit entries."""
    entry = FAULTS[code] if code in FAULTS else status(code)
    return f"{entry.dutch} / {entry.english}"
