"""Narrow errors the service layer raises; each door turns them into its own answer."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of every error a local action reports to a person."""

    status = 400

    def __init__(self, message_key: str, field: str | None = None, **params: Any) -> None:
        super().__init__(message_key)
        self.message_key = message_key
        self.field = field
        self.params = params


class Invalid(ServiceError):
    status = 422


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class TooManyAttempts(ServiceError):
    status = 429


class TooLarge(ServiceError):
    status = 413


class Unsupported(ServiceError):
    """A file of a type we do not take (found from its bytes, not its name)."""

    status = 415
