"""The one place where errors become RFC 9457 problem responses.

Every error the service can answer with — its own :mod:`api.errors`, and the domain errors
of :mod:`ledger`, :mod:`ledger.schedule` and :mod:`receipts` — is mapped here to a
``application/problem+json`` body with a stable ``type`` URI under :data:`PROBLEM_BASE`,
a ``title``, the HTTP ``status``, ``detail`` in Bahasa Indonesia and ``detail_en`` in
English, plus machine-readable members (``field``, ``errors``, ``verdict``, ``seq``, …).
Unknown exceptions become a bare 500 ``internal`` problem: no stack trace, no message.
Every ``type`` is listed in :data:`PROBLEM_TYPES` and documented in ``docs/api.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import exc as sa_exc

from api import errors as svc
from ledger import errors as led
from ledger.schedule import errors as sched
from ledger.storage import errors as store
from receipts import errors as rcpt

__all__ = [
    "PROBLEM_BASE",
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_TYPES",
    "Problem",
    "problem_for",
    "problem_type",
    "validation_problem",
]

PROBLEM_BASE: Final = "https://bukti.example/problems/"
PROBLEM_MEDIA_TYPE: Final = "application/problem+json"


@dataclass(frozen=True, slots=True)
class _Kind:
    status: int
    title: str
    detail_id: str  # the Indonesian message used when the error carries none


#: Every problem type the service emits: slug → status, title, default Indonesian detail.
PROBLEM_TYPES: Final[Mapping[str, _Kind]] = {
    "unauthorized": _Kind(401, "Authentication required", "Silakan masuk terlebih dahulu."),
    "login-failed": _Kind(401, "Login failed", "Nama pengguna atau kata sandi salah."),
    "login-throttled": _Kind(429, "Too many failed logins", "Tunggu sebelum mencoba lagi."),
    "account-locked": _Kind(429, "Account locked", "Akun dikunci sementara."),
    "forbidden": _Kind(403, "Not allowed for this role", "Peran Anda tidak berwenang."),
    "wrong-office": _Kind(403, "Not allowed for this office", "Bukan kantor Anda."),
    "csrf": _Kind(
        403,
        "CSRF token missing or wrong",
        "Permintaan ditolak: token CSRF tidak ada atau tidak cocok. Muat ulang halaman.",
    ),
    "not-found": _Kind(404, "Not found", "Data yang diminta tidak ditemukan."),
    "method-not-allowed": _Kind(405, "Method not allowed", "Metode HTTP tidak didukung."),
    "validation": _Kind(422, "Invalid request", "Permintaan tidak valid."),
    "invalid-request": _Kind(422, "Invalid request", "Permintaan tidak valid."),
    "idempotency-key-required": _Kind(
        400, "Idempotency-Key header required", "Header Idempotency-Key wajib diisi."
    ),
    "idempotency-key-reused": _Kind(
        409,
        "Idempotency key reused with a different request",
        "Idempotency-Key sudah dipakai untuk permintaan lain.",
    ),
    "already-voided": _Kind(409, "Receipt already voided", "Kuitansi sudah dibatalkan."),
    "day-already-closed": _Kind(409, "Day already closed", "Hari ini sudah ditutup."),
    "day-closed": _Kind(
        409,
        "Counter closed for the day",
        "Buku loket untuk hari ini sudah ditutup; kuitansi tidak dapat diterbitkan lagi.",
    ),
    "complaint-closed": _Kind(
        409, "Complaint already closed", "Pengaduan sudah selesai atau ditolak."
    ),
    "duplicate": _Kind(409, "Already exists", "Data sudah ada."),
    "conflict": _Kind(409, "Conflicts with the ledger", "Bertentangan dengan catatan."),
    "overcharge": _Kind(
        422, "Charge above the official fee", "Tagihan melebihi tarif resmi; ditolak dan dicatat."
    ),
    "charged-for-free-service": _Kind(
        422,
        "Charge for a free service",
        "Layanan ini gratis menurut undang-undang; pungutan ditolak dan dicatat.",
    ),
    "undercharge": _Kind(
        422,
        "Charge below the official fee without a waiver",
        "Tagihan di bawah tarif resmi tanpa nomor keringanan; ditolak dan dicatat.",
    ),
    "unknown-service": _Kind(404, "Unknown service", "Kode layanan tidak dikenal."),
    "invalid-inputs": _Kind(422, "Invalid service inputs", "Isian layanan tidak valid."),
    "no-schedule-in-force": _Kind(
        409, "No fee schedule in force", "Belum ada tarif yang berlaku pada waktu itu."
    ),
    "schedule-invalid": _Kind(422, "Invalid fee schedule", "Dokumen tarif tidak valid."),
    "schedule-refused": _Kind(
        409, "Schedule version refused", "Versi tarif tidak dapat diterbitkan."
    ),
    "closing-mismatch": _Kind(
        422,
        "Closing figures differ from the ledger",
        "Angka penutupan tidak sesuai dengan catatan.",
    ),
    "invalid-receipt": _Kind(422, "Invalid receipt", "Kuitansi tidak valid."),
    "entry-too-large": _Kind(413, "Entry too large", "Data terlalu besar untuk satu catatan."),
    "rate-limited": _Kind(429, "Too many requests", "Terlalu banyak permintaan; coba lagi nanti."),
    "service-unavailable": _Kind(
        503, "Service unavailable", "Layanan sedang tidak tersedia; coba lagi sebentar lagi."
    ),
    "internal": _Kind(500, "Internal error", "Terjadi kesalahan pada server."),
}


def problem_type(slug: str) -> str:
    """The ``type`` URI of a problem slug (raises ``KeyError`` for an undocumented slug)."""
    PROBLEM_TYPES[slug]
    return PROBLEM_BASE + slug


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem response: body members and extra headers (``Retry-After``)."""

    slug: str
    detail_id: str
    detail_en: str
    extra: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    status_override: int | None = None  # a refused charge is 422 whatever its verdict

    @property
    def status(self) -> int:
        return self.status_override or PROBLEM_TYPES[self.slug].status

    def body(self, instance: str | None = None) -> dict[str, Any]:
        kind = PROBLEM_TYPES[self.slug]
        out: dict[str, Any] = {
            "type": problem_type(self.slug),
            "title": kind.title,
            "status": self.status,
            "detail": self.detail_id,
            "detail_en": self.detail_en,
        }
        if instance:
            out["instance"] = instance
        out.update(self.extra)
        return out


def _retry(extra: Mapping[str, Any]) -> dict[str, str]:
    seconds = extra.get("retry_after")
    return {"Retry-After": str(int(seconds))} if seconds is not None else {}


def _service(slug: str) -> Callable[[Exception], Problem]:
    def build(exc: Exception) -> Problem:
        assert isinstance(exc, svc.ServiceError)
        return Problem(slug, exc.detail_id, exc.detail_en, exc.extra, _retry(exc.extra))

    return build


def _charge_refused(exc: Exception) -> Problem:
    assert isinstance(exc, svc.ChargeRefusedError)
    slug = exc.verdict.replace("_", "-")
    if slug not in PROBLEM_TYPES:
        slug = "invalid-request"
    return Problem(slug, exc.detail_id, exc.detail_en, exc.extra, status_override=422)


def _generic(slug: str, detail_en: str | None = None) -> Callable[[Exception], Problem]:
    """A domain error without an Indonesian message: the table's one, and its own English."""

    def build(exc: Exception) -> Problem:
        return Problem(slug, PROBLEM_TYPES[slug].detail_id, detail_en or str(exc))

    return build


def _invalid_inputs(exc: Exception) -> Problem:
    assert isinstance(exc, sched.InvalidInputsError)
    items = [
        {"field": f"inputs.{p.name}", "detail": p.message_id, "detail_en": p.message_en}
        for p in exc.problems
    ]
    extra: dict[str, Any] = {"service": exc.service_code, "errors": items}
    if items:
        extra["field"] = items[0]["field"]
    detail_id = (
        "; ".join(p.message_id for p in exc.problems) or PROBLEM_TYPES["invalid-inputs"].detail_id
    )
    return Problem("invalid-inputs", detail_id, str(exc), extra)


def _unknown_service(exc: Exception) -> Problem:
    assert isinstance(exc, sched.UnknownServiceError)
    return Problem(
        "unknown-service",
        f"Kode layanan {exc.service_code} tidak ada dalam tarif versi {exc.version_id}.",
        str(exc),
        {"field": "service", "service": exc.service_code, "schedule": exc.version_id},
    )


def _schedule_invalid(exc: Exception) -> Problem:
    assert isinstance(exc, sched.ScheduleValidationError)
    items = [
        {"field": p.field, "item": p.item_code, "detail_en": p.message}
        if p.item_code
        else {"field": p.field, "detail_en": p.message}
        for p in exc.problems
    ]
    return Problem(
        "schedule-invalid",
        PROBLEM_TYPES["schedule-invalid"].detail_id,
        str(exc).splitlines()[0],
        {"errors": items},
    )


def _storage_unavailable(exc: Exception) -> Problem:
    return Problem(
        "service-unavailable",
        PROBLEM_TYPES["service-unavailable"].detail_id,
        "expected the database to answer, found it unavailable; retry shortly",
        {"retry_after": 5},
        {"Retry-After": "5"},
    )


def _receipt_invalid(exc: Exception) -> Problem:
    assert isinstance(exc, rcpt.ReceiptVerificationError)
    return Problem(
        "invalid-receipt",
        PROBLEM_TYPES["invalid-receipt"].detail_id,
        str(exc),
        {"code": exc.code},
    )


#: Exception class → problem builder; the nearest class in the exception's MRO wins.
_MAPPING: Final[Mapping[type[BaseException], Callable[[Exception], Problem]]] = {
    # The service's own errors.
    svc.AuthenticationError: _service("unauthorized"),
    svc.LoginFailedError: _service("login-failed"),
    svc.LoginThrottledError: _service("login-throttled"),
    svc.AccountLockedError: _service("account-locked"),
    svc.PermissionDeniedError: _service("forbidden"),
    svc.WrongOfficeError: _service("wrong-office"),
    svc.CsrfRejectedError: _service("csrf"),
    svc.NotFoundError: _service("not-found"),
    svc.InvalidRequestError: _service("invalid-request"),
    svc.IdempotencyKeyRequiredError: _service("idempotency-key-required"),
    svc.ConflictError: _service("conflict"),
    svc.IdempotencyKeyReusedError: _service("idempotency-key-reused"),
    svc.AlreadyVoidedError: _service("already-voided"),
    svc.DayAlreadyClosedError: _service("day-already-closed"),
    svc.DayClosedError: _service("day-closed"),
    svc.ComplaintClosedError: _service("complaint-closed"),
    svc.DuplicateError: _service("duplicate"),
    svc.ChargeRefusedError: _charge_refused,
    svc.ClosingMismatchError: _service("closing-mismatch"),
    svc.RateLimitedError: _service("rate-limited"),
    svc.ServiceUnavailableError: _service("service-unavailable"),
    svc.SetupError: _service("service-unavailable"),
    # The ledger's errors.
    led.IdempotencyConflictError: _generic(
        "idempotency-key-reused",
        "expected the same request body for a reused Idempotency-Key, found a different one",
    ),
    led.StorageUnavailableError: _storage_unavailable,
    # A connection lost or refused outside the append path (e.g. a session lookup).
    sa_exc.OperationalError: _storage_unavailable,
    sa_exc.InterfaceError: _storage_unavailable,
    sa_exc.DisconnectionError: _storage_unavailable,
    led.EntryTooLargeError: _generic("entry-too-large"),
    led.EncodingError: _generic("invalid-request"),
    store.NotFoundError: _generic("not-found"),
    led.TileError: _generic("not-found"),
    led.ProofError: _generic("invalid-request"),
    # The schedule's errors.
    sched.InvalidInputsError: _invalid_inputs,
    sched.UnknownServiceError: _unknown_service,
    sched.NoScheduleInForce: _generic("no-schedule-in-force"),
    sched.ScheduleValidationError: _schedule_invalid,
    sched.PublishRefusedError: _generic("schedule-refused"),
    sched.InvalidChargeError: _generic("invalid-request"),
    sched.FormulaEvaluationError: _generic("invalid-inputs"),
    # The receipts' errors.
    rcpt.ReceiptVerificationError: _receipt_invalid,
    rcpt.ShortCodeError: _generic("invalid-request"),
}


def problem_for(exc: BaseException) -> Problem:
    """The problem response for ``exc``: the mapping of its nearest mapped class, else 500."""
    for cls in type(exc).__mro__:
        build = _MAPPING.get(cls)
        if build is not None and isinstance(exc, Exception):
            return build(exc)
    return Problem(
        "internal",
        PROBLEM_TYPES["internal"].detail_id,
        "an unexpected error occurred; it has been logged",
    )


def validation_problem(errors: list[dict[str, Any]]) -> Problem:
    """A 422 ``validation`` problem from request-parsing errors (``field`` + messages each)."""
    first = errors[0]["field"] if errors else None
    extra: dict[str, Any] = {"errors": errors}
    if first is not None:
        extra["field"] = first
    summary = "; ".join(f"{e['field']}: {e['detail_en']}" for e in errors[:5])
    return Problem(
        "validation",
        "Isian permintaan tidak valid: " + ", ".join(e["field"] for e in errors[:5]) + ".",
        f"expected a request matching the schema, found problems: {summary}",
        extra,
    )
