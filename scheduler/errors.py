"""The scheduling service's refusals: an HTTP status, a message for people, fields for programs."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal with an HTTP status, a message naming the field or the fault, and extra fields
    (`next_available`, `alternatives`) for programs."""

    def __init__(self, status: int, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra
