"""The retribusi schedule: documents, tariffs, quotes and charge checks (pure).

Read a schedule version with :func:`parse_toml` / :func:`version_from_mapping`; price a
service with :func:`quote`; judge a charge with :func:`check`; build ledger bodies with
:func:`publication_body` and :func:`rejection_body`; rebuild what was in force from the
log with :meth:`ScheduleHistory.from_entries`. Format: docs/schedule-format.md.
"""

from ledger.schedule.amounts import format_rupiah, round_half_up
from ledger.schedule.canonical import document_bytes, document_sha256, version_to_mapping
from ledger.schedule.checking import Charge, check, check_official_fee
from ledger.schedule.default import default_schedule, default_schedule_text
from ledger.schedule.document import (
    UNVERIFIED_WARNING_EN,
    UNVERIFIED_WARNING_ID,
    Category,
    Provenance,
    ScheduleItem,
    ScheduleVersion,
)
from ledger.schedule.errors import (
    DocumentDigestError,
    DuplicateVersionError,
    FormulaError,
    FormulaEvaluationError,
    FormulaLimitError,
    FormulaSyntaxError,
    InputProblem,
    InvalidChargeError,
    InvalidInputsError,
    MissingDocumentError,
    NoScheduleInForce,
    Problem,
    PublicationError,
    PublishRefusedError,
    RejectionRecordError,
    RetroactiveScheduleError,
    ScheduleError,
    ScheduleValidationError,
    UnknownServiceError,
    VerdictMismatchError,
)
from ledger.schedule.history import PublishedVersion, ScheduleHistory, resolve_version
from ledger.schedule.inputs import InputSpec, InputType
from ledger.schedule.loading import parse_json, parse_toml, version_from_mapping
from ledger.schedule.publication import (
    MAX_INLINE_DOCUMENT_BYTES,
    Publication,
    publication_body,
    publication_from_body,
)
from ledger.schedule.quoting import Quote, quote
from ledger.schedule.rejection import (
    charge_from_rejection_body,
    recheck_rejection,
    rejection_body,
    verdict_from_rejection_body,
)
from ledger.schedule.tariffs import BreakdownLine, TariffKind
from ledger.schedule.verdict import Severity, Verdict, VerdictCode
from ledger.schedule.wib import format_wib, parse_wib

__all__ = [
    "MAX_INLINE_DOCUMENT_BYTES",
    "UNVERIFIED_WARNING_EN",
    "UNVERIFIED_WARNING_ID",
    "BreakdownLine",
    "Category",
    "Charge",
    "DocumentDigestError",
    "DuplicateVersionError",
    "FormulaError",
    "FormulaEvaluationError",
    "FormulaLimitError",
    "FormulaSyntaxError",
    "InputProblem",
    "InputSpec",
    "InputType",
    "InvalidChargeError",
    "InvalidInputsError",
    "MissingDocumentError",
    "NoScheduleInForce",
    "Problem",
    "Provenance",
    "Publication",
    "PublicationError",
    "PublishRefusedError",
    "PublishedVersion",
    "Quote",
    "RejectionRecordError",
    "RetroactiveScheduleError",
    "ScheduleError",
    "ScheduleHistory",
    "ScheduleItem",
    "ScheduleValidationError",
    "ScheduleVersion",
    "Severity",
    "TariffKind",
    "UnknownServiceError",
    "Verdict",
    "VerdictCode",
    "VerdictMismatchError",
    "charge_from_rejection_body",
    "check",
    "check_official_fee",
    "default_schedule",
    "default_schedule_text",
    "document_bytes",
    "document_sha256",
    "format_rupiah",
    "format_wib",
    "parse_json",
    "parse_toml",
    "parse_wib",
    "publication_body",
    "publication_from_body",
    "quote",
    "recheck_rejection",
    "rejection_body",
    "resolve_version",
    "round_half_up",
    "verdict_from_rejection_body",
    "version_from_mapping",
    "version_to_mapping",
]
