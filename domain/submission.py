"""Submission rules: which cases go to Digipoort, as what, and what a status report decides. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sbrflow.domain import digipoort as codes
from sbrflow.domain.enums import Product

# The returns intake receives as SBR documents, and their Digipoort berichtsoort.
BERICHTSOORT: dict[Product, str] = {
    Product.VAT_RETURN: "Omzetbelasting",
    Product.PAYROLL_RETURN: "Loonaangifte",
    Product.INCOME_TAX: "Inkomstenbelasting",
    Product.CORPORATE_TAX: "Vennootschapsbelasting",
    Product.ANNUAL_ACCOUNTS: "Jaarrekening",
}
SBR_RETURNS = frozenset({Product.VAT_RETURN, Product.PAYROLL_RETURN})


def submits(product: Product | str, presentation: str) -> bool:
    """Whether an approved case of this template goes to Digipoort: all but information-only non-returns."""
    return Product(product) in SBR_RETURNS or presentation != "information"


def hash_refusal(stored_sha256: str, current_sha256: str, approved_sha256: str | None = None) -> str | None:
    """Why these bytes may not be sent (they are not the approved ones), or None when they may."""
    if stored_sha256 != current_sha256:
        return (f"the stored bytes hash to {stored_sha256[:12]}…, not to the case's current document "
                f"{current_sha256[:12]}…: the document changed or was damaged after approval")
    if approved_sha256 is not None and approved_sha256 != current_sha256:
        return (f"the client approved document {approved_sha256[:12]}…, the case's current document is "
                f"{current_sha256[:12]}…: a new approval is needed")
    return None


@dataclass(frozen=True)
class Verdict:
    """What the statuses so far mean for a delivery."""

    outcome: codes.Outcome
    retrying_since: datetime | None = None
    error_code: str | None = None
    error_text: str | None = None


def judge(codes_so_far: Sequence[tuple[str, datetime | None, str | None, str | None]],
          retrying_since: datetime | None, now: datetime) -> Verdict:
    """The delivery's verdict after new statuses (code, at, error code, error text), oldest first.

    500 accepts; 210/230/311/321/410 fail with the code and its meaning; a 420 keeps the delivery
    open while Digipoort retries, and fails it once the first 420 is more than 72 hours old.
    """
    since = retrying_since
    for code, at, error_code, error_text in codes_so_far:
        meaning = codes.status(code)
        if meaning.outcome is codes.Outcome.ACCEPTED:
            return Verdict(codes.Outcome.ACCEPTED)
        if meaning.outcome is codes.Outcome.FAILED:
            detail = f" ({error_code}: {error_text})" if error_code else ""
            return Verdict(codes.Outcome.FAILED, error_code=code, error_text=codes.meaning(code) + detail)
        if meaning.outcome is codes.Outcome.RETRYING:
            since = since or at or now
        else:
            since = None  # it moved on after the 420
    if since is not None and now - since > timedelta(hours=codes.RETRY_WINDOW_HOURS):
        return Verdict(codes.Outcome.FAILED, since, "420",
                       codes.meaning("420")
                       + f" Still not delivered {codes.RETRY_WINDOW_HOURS} hours after the first 420.")
    return Verdict(codes.Outcome.RETRYING if since else codes.Outcome.IN_PROGRESS, since)
