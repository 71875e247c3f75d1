"""Errors shared by the service and the modules it calls (kept apart to avoid import cycles)."""

from __future__ import annotations


class ProblemRejected(ValueError):
    """A problem that validates as JSON but breaks a service limit; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
