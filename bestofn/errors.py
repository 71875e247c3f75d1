"""Errors shared by the service and the modules it calls (kept apart to avoid import cycles)."""

from __future__ import annotations

from pydantic import ValidationError


class ProblemRejected(ValueError):
    """A problem that breaks a rule of ``Problem`` or a service limit; names the field (a ``ValueError``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    @classmethod
    def from_validation(cls, exc: ValidationError) -> "ProblemRejected":
        """The first error of a pydantic validation, as one field and one line."""
        first = exc.errors()[0]
        return cls(".".join(str(p) for p in first["loc"]) or "body", first["msg"])
