"""The one error hierarchy of :mod:`ledger.schedule`.

::

    LedgerError                          (ledger.errors)
     └── ScheduleError
          ├── ScheduleValidationError    a schedule document is invalid; carries every Problem
          ├── FormulaError               a tariff formula is not acceptable
          │    ├── FormulaSyntaxError    does not parse, or uses something not allowed
          │    ├── FormulaLimitError     too long or nested too deeply
          │    └── FormulaEvaluationError  division by zero or a negative amount
          ├── InvalidInputsError         quantities for a service are missing or out of bounds
          ├── UnknownServiceError        no item with that code in the version in force
          ├── NoScheduleInForce          no version was in force at the given time
          ├── PublicationError           a ``schedule.published`` body is malformed
          │    ├── DocumentDigestError   the document does not match its SHA-256
          │    └── MissingDocumentError  a body commits to a document nobody supplied
          ├── PublishRefusedError        a new version may not be published
          │    ├── RetroactiveScheduleError  it would change fees in the past
          │    └── DuplicateVersionError     its version id is already taken
          ├── InvalidChargeError         a charge to check is malformed (negative amount, …)
          └── RejectionRecordError       a ``charge.rejected`` body is malformed or does not
               └── VerdictMismatchError  re-checking it gives a different verdict

Messages say what was expected and what was found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ledger.errors import LedgerError

__all__ = [
    "DocumentDigestError",
    "DuplicateVersionError",
    "FormulaError",
    "FormulaEvaluationError",
    "FormulaLimitError",
    "FormulaSyntaxError",
    "InputProblem",
    "InvalidChargeError",
    "InvalidInputsError",
    "MissingDocumentError",
    "NoScheduleInForce",
    "Problem",
    "PublicationError",
    "PublishRefusedError",
    "RejectionRecordError",
    "RetroactiveScheduleError",
    "ScheduleError",
    "ScheduleValidationError",
    "UnknownServiceError",
    "VerdictMismatchError",
]


class ScheduleError(LedgerError):
    """Base of every error raised by :mod:`ledger.schedule`."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a schedule document.

    ``item_code`` is the item's code (or ``items[i]`` when the item has no usable code),
    ``None`` for document-level fields; ``field`` is the path inside the item or document,
    e.g. ``tariff.inputs[0].max``.
    """

    item_code: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.item_code}: {self.field}" if self.item_code else self.field
        return f"{where}: {self.message}"


class ScheduleValidationError(ScheduleError):
    """A schedule document is invalid. ``problems`` lists every problem found, in order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"schedule document has {count} problem(s):\n{lines}")


class FormulaError(ScheduleError):
    """A tariff formula is not acceptable."""


class FormulaSyntaxError(FormulaError):
    """A formula does not parse, or uses a construct outside the whitelist.

    ``column`` is the 1-based position of the offending character (0 when not applicable).
    """

    def __init__(self, message: str, column: int = 0) -> None:
        self.column = column
        where = f"at column {column}: " if column else ""
        super().__init__(f"{where}{message}")


class FormulaLimitError(FormulaError):
    """A formula is longer, or nested deeper, than the evaluator accepts."""


class FormulaEvaluationError(FormulaError):
    """A formula failed for particular values (division by zero, negative amount)."""


@dataclass(frozen=True, slots=True)
class InputProblem:
    """Why one input of a charge or quote is not acceptable, in both languages.

    ``name`` is the input's declared name (or the unexpected name that was given).
    """

    name: str
    message_id: str
    message_en: str


class InvalidInputsError(ScheduleError):
    """The inputs given for a service are missing, unexpected, malformed or out of bounds."""

    def __init__(self, service_code: str, problems: Iterable[InputProblem]) -> None:
        self.service_code = service_code
        self.problems: tuple[InputProblem, ...] = tuple(problems)
        detail = "; ".join(p.message_en for p in self.problems)
        super().__init__(f"invalid inputs for {service_code}: {detail}")


class UnknownServiceError(ScheduleError):
    """No item with the given code exists in the schedule version in force."""

    def __init__(self, service_code: str, version_id: str) -> None:
        self.service_code = service_code
        self.version_id = version_id
        super().__init__(
            f"expected a service code of schedule version {version_id!r}, "
            f"found {service_code!r}, which it does not list"
        )


class NoScheduleInForce(ScheduleError):  # noqa: N818 - name fixed by the schedule contract
    """No schedule version was in force at the requested time."""

    def __init__(self, at_ms: int, message: str) -> None:
        self.at_ms = at_ms
        super().__init__(message)


class PublicationError(ScheduleError):
    """A ``schedule.published`` entry body is malformed."""


class DocumentDigestError(PublicationError):
    """A schedule document does not hash to the SHA-256 its publication commits to."""


class MissingDocumentError(PublicationError):
    """A publication commits to a document by SHA-256 and that document was not supplied."""

    def __init__(self, sha256: str, version_id: str) -> None:
        self.sha256 = sha256
        self.version_id = version_id
        super().__init__(
            f"schedule version {version_id!r} is committed by SHA-256 {sha256}; "
            "expected its document among the supplied documents, found none"
        )


class PublishRefusedError(ScheduleError):
    """A schedule version may not be published."""


class RetroactiveScheduleError(PublishRefusedError):
    """Publishing the version would change the fee in force at a time already past."""


class DuplicateVersionError(PublishRefusedError):
    """A version with the same id was already published; versions are immutable."""


class InvalidChargeError(ScheduleError):
    """A charge to check is malformed (amount not a non-negative integer, bad time, …)."""


class RejectionRecordError(ScheduleError):
    """A ``charge.rejected`` body is malformed."""


class VerdictMismatchError(RejectionRecordError):
    """Re-checking a recorded rejection against the schedule gives a different verdict."""
