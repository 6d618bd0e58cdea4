"""Errors raised by services; each surface turns them into its own answer."""


class AppError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers = headers or {}

    def field_errors(self) -> dict[str, str]:
        """The message by form field, for a form that shows it beside the field ("_form": the
        form as a whole)."""
        return {self.field or "_form": self.message}


class Invalid(AppError):
    status_code = 400


class Unauthorized(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class RateLimited(AppError):
    status_code = 429


class ValidationFailed(Invalid):
    """Several field errors at once, for forms that show each beside its field."""

    status_code = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__(next(iter(errors.values())), field=next(iter(errors)))
        self.errors = errors

    def field_errors(self) -> dict[str, str]:
        return self.errors
