"""The one error hierarchy of :mod:`api` (the service layer, HTTP API and commands).

::

    ServiceError                      every error the service raises on purpose
     ├── AuthenticationError          401: credential missing, wrong, expired or revoked
     │    └── LoginFailedError        401: user name or password wrong
     ├── LoginThrottledError          429: too many failed logins, wait (Retry-After)
     │    └── AccountLockedError      429: locked after too many failures
     ├── PermissionDeniedError        403: authenticated, but not allowed
     │    ├── WrongRoleError          the user's role may not do this
     │    ├── WrongOfficeError        the user belongs to another office
     │    └── CsrfRejectedError       a cookie-authenticated write without its CSRF token
     ├── NotFoundError                404: no such receipt, office, counter, user, …
     ├── InvalidRequestError          422: the request is well formed JSON but wrong
     │    └── IdempotencyKeyRequiredError  400: ``Idempotency-Key`` header missing
     ├── ConflictError                409: the request contradicts the ledger
     │    ├── IdempotencyKeyReusedError  the key was used with a different request
     │    ├── AlreadyVoidedError      the receipt was voided before
     │    ├── DayAlreadyClosedError   the counter's day was closed before
     │    ├── DayClosedError          issuing at a counter whose day is already closed
     │    ├── ComplaintClosedError    updating a complaint already resolved or rejected
     │    └── DuplicateError          a unique name or number is taken
     ├── ChargeRefusedError           422: the schedule check refused the charge (logged)
     ├── ClosingMismatchError         422: the client's closing figures differ from the ledger
     ├── RateLimitedError             429: too many requests from one client
     ├── ServiceUnavailableError      503: storage or a dependency is unavailable
     └── SetupError                   ``bukti init`` / configuration cannot proceed

Every error carries a message in Bahasa Indonesia (``detail_id``) and in English
(``detail_en``); the English one says what was expected and what was found.
:mod:`api.problems` maps these — and the domain errors of :mod:`ledger`,
:mod:`ledger.schedule` and :mod:`receipts` — to RFC 9457 problem responses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "AccountLockedError",
    "AlreadyVoidedError",
    "AuthenticationError",
    "ChargeRefusedError",
    "ClosingMismatchError",
    "ComplaintClosedError",
    "ConflictError",
    "CsrfRejectedError",
    "DayAlreadyClosedError",
    "DayClosedError",
    "DuplicateError",
    "IdempotencyKeyRequiredError",
    "IdempotencyKeyReusedError",
    "InvalidRequestError",
    "LoginFailedError",
    "LoginThrottledError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServiceError",
    "ServiceUnavailableError",
    "SetupError",
    "WrongOfficeError",
    "WrongRoleError",
]


class ServiceError(Exception):
    """Base of every error raised on purpose by :mod:`api`.

    ``detail_en`` is the English message (also ``str(error)``), ``detail_id`` the
    Indonesian one shown to residents and staff; ``extra`` holds machine-readable
    members added to the problem response (``field``, ``verdict``, ``seq``, …).
    """

    def __init__(
        self, detail_en: str, detail_id: str, *, extra: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(detail_en)
        self.detail_en = detail_en
        self.detail_id = detail_id
        self.extra: dict[str, Any] = dict(extra or {})


class AuthenticationError(ServiceError):
    """No credential, or one that is wrong, expired or revoked."""


class LoginFailedError(AuthenticationError):
    """The user name or password is wrong (deliberately not saying which)."""


class LoginThrottledError(ServiceError):
    """Too many failed logins for this user name: the next attempt must wait."""

    def __init__(self, detail_en: str, detail_id: str, *, retry_after_s: int) -> None:
        super().__init__(detail_en, detail_id, extra={"retry_after": retry_after_s})
        self.retry_after_s = retry_after_s


class AccountLockedError(LoginThrottledError):
    """The user name is locked after too many failed logins."""


class PermissionDeniedError(ServiceError):
    """The credential is valid but does not allow this action."""


class WrongRoleError(PermissionDeniedError):
    """The user's role may not perform this action."""


class WrongOfficeError(PermissionDeniedError):
    """The action concerns an office other than the user's own."""


class CsrfRejectedError(PermissionDeniedError):
    """A state-changing request authenticated by the session cookie came without the
    matching CSRF token (OWASP CSRF Prevention Cheat Sheet); bearer tokens need none."""


class NotFoundError(ServiceError):
    """The named receipt, office, counter, user, schedule version or complaint does not exist."""


class InvalidRequestError(ServiceError):
    """The request is understood but its content is not acceptable; ``field`` names where."""

    def __init__(
        self,
        detail_en: str,
        detail_id: str,
        *,
        field: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        members = dict(extra or {})
        if field is not None:
            members["field"] = field
        super().__init__(detail_en, detail_id, extra=members)
        self.field = field


class IdempotencyKeyRequiredError(InvalidRequestError):
    """A write that must be idempotent came without an ``Idempotency-Key`` header."""


class ConflictError(ServiceError):
    """The request contradicts what the ledger already holds."""


class IdempotencyKeyReusedError(ConflictError):
    """An ``Idempotency-Key`` was reused with a different request body."""


class AlreadyVoidedError(ConflictError):
    """The receipt was already voided; a receipt is voided at most once."""


class DayAlreadyClosedError(ConflictError):
    """The counter's business day was already closed."""


class DayClosedError(ConflictError):
    """A receipt was asked for at a counter whose business day (WIB date) is closed."""


class ComplaintClosedError(ConflictError):
    """The complaint is resolved or rejected; its status no longer changes."""


class DuplicateError(ConflictError):
    """A name or number that must be unique is already taken."""


class ChargeRefusedError(ServiceError):
    """The schedule check refused a charge; the refusal is in the log as ``charge.rejected``.

    ``verdict`` is the schedule's verdict code, ``seq`` the index of the
    ``charge.rejected`` entry, ``official_fee`` the fee in force when it could be computed.
    """

    def __init__(
        self,
        detail_en: str,
        detail_id: str,
        *,
        verdict: str,
        seq: int,
        official_fee: int | None,
        charged: int,
        problems: list[dict[str, str]] | None = None,
    ) -> None:
        extra: dict[str, Any] = {"verdict": verdict, "seq": seq, "charged": charged}
        if official_fee is not None:
            extra["official_fee"] = official_fee
        if problems:
            extra["errors"] = problems
            extra["field"] = problems[0]["field"]
        super().__init__(detail_en, detail_id, extra=extra)
        self.verdict = verdict
        self.seq = seq
        self.official_fee = official_fee
        self.charged = charged


class ClosingMismatchError(ServiceError):
    """A daily closing's figures from the client differ from those computed from the ledger."""


class RateLimitedError(ServiceError):
    """Too many requests from one client address; retry after ``retry_after_s`` seconds."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            f"expected at most the allowed request rate, found more; retry in {retry_after_s} s",
            f"Terlalu banyak permintaan; coba lagi dalam {retry_after_s} detik.",
            extra={"retry_after": retry_after_s},
        )
        self.retry_after_s = retry_after_s


class ServiceUnavailableError(ServiceError):
    """Storage or another dependency is unavailable; retry later."""

    def __init__(self, detail_en: str, detail_id: str, *, retry_after_s: int = 5) -> None:
        super().__init__(detail_en, detail_id, extra={"retry_after": retry_after_s})
        self.retry_after_s = retry_after_s


class SetupError(ServiceError):
    """``bukti init`` or the service configuration cannot proceed."""
