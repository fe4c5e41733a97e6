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
    """A limit was reached; retry_after: in how many seconds the window it counts in has passed
    (the default is the log-in throttle's, services/throttle.WINDOW_SECONDS)."""

    status = 429

    def __init__(self, message_key: str, field: str | None = None, retry_after: int = 900, **params: Any) -> None:
        super().__init__(message_key, field, **params)
        self.retry_after = retry_after


class TooLarge(ServiceError):
    status = 413


class Unsupported(ServiceError):
    """A file of a type we do not take (found from its bytes, not its name)."""

    status = 415
