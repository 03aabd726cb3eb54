"""The one error the SBR document parser raises: the document cannot be accepted as a return."""

from __future__ import annotations

from sbrflow.domain.errors import SbrflowError


class InvalidReturnDocument(SbrflowError, ValueError):
    """A document that is not a readable VAT or payroll return; the message says what is wrong.

    `code` is a short machine-readable reason (``too_large``, ``not_xml``, ``dtd``, ``wrong_type``,
    ``missing``, ``bad_value``, ``ambiguous``) for counting rejections; the message is for people.
    Messages never quote employee data: the parser never reads it (see loonaangifte.py).
    """

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        self.code = code
        super().__init__(message)
