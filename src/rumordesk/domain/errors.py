"""Errors that services raise; adapters map them to HTTP problems or CLI exit codes."""

from __future__ import annotations


class RumordeskError(Exception):
    """Base class for errors a caller can act on."""

    status = 400
    title = "Bad request"


class NotFound(RumordeskError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    status = 404
    title = "Not found"


class Conflict(RumordeskError):
    """The request conflicts with the current state (e.g. a duplicate name)."""

    status = 409
    title = "Conflict"


class InvalidTransition(RumordeskError):
    """A lifecycle rule forbids this change (e.g. confirming without evidence)."""

    status = 422
    title = "Invalid transition"


class ValidationFailed(RumordeskError):
    """Input is malformed or violates a rule; the message says what and where."""

    status = 422
    title = "Validation failed"


class Forbidden(RumordeskError):
    """The caller's role or organisation does not allow this."""

    status = 403
    title = "Forbidden"


class Unauthorized(RumordeskError):
    """No valid API key was given."""

    status = 401
    title = "Unauthorized"


class PolicyError(RumordeskError):
    """The policy file is missing or invalid; the message names file, field and problem."""

    status = 500
    title = "Invalid policy"
