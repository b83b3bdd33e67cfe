"""The knobs of an audit run, with the defaults of the inspectorate's standard audit."""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.calendar import MAX_HOLIDAYS, NO_HOLIDAYS, OfficeHours

__all__ = ["AuditOptions", "PatternThresholds"]


@dataclass(frozen=True, slots=True)
class PatternThresholds:
    """When a figure becomes a *pattern worth a look* (none of these is a breach)."""

    #: Refused charges by one petugas at one counter before it is listed.
    refusals: int = 3
    #: Void rate (basis points of receipts issued) above which a petugas is listed …
    void_rate_bp: int = 500
    #: … once they issued at least this many receipts.
    void_min_receipts: int = 20
    #: A receipt amount is *round* when it is a positive multiple of this (rupiah) …
    round_unit: int = 50_000
    #: … and this many round amounts in a row at one counter form a run worth a look.
    round_run: int = 5
    #: Receipts outside office hours at one counter before it is listed.
    outside_hours: int = 1

    def __post_init__(self) -> None:
        for name in ("refusals", "void_min_receipts", "round_unit", "round_run", "outside_hours"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, found {getattr(self, name)}")
        if not 0 <= self.void_rate_bp <= 10_000:
            raise ValueError(f"void_rate_bp must be 0..10000, found {self.void_rate_bp}")


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """Options of one audit run.

    ``deposit_deadline_days``: working days (Mon–Fri, less ``holidays``) after a day of
    collection by which its money must be deposited (default 1). ``holidays``: public
    holidays and collective leave days, as WIB day numbers
    (:func:`audit.calendar.parse_holidays`): no working day for deposit deadlines, and
    outside office hours. ``verify_signatures``: check every receipt's
    Ed25519 signature and its commitment to its entry (``--no-signatures`` turns it off).
    ``workers``: processes used for the per-entry and per-receipt checks (``None``: one per
    CPU core for a large log, none for a small one; ``0``: everything in this process).
    """

    deposit_deadline_days: int = 1
    office_hours: OfficeHours = field(default_factory=OfficeHours)
    holidays: frozenset[int] = NO_HOLIDAYS
    verify_signatures: bool = True
    workers: int | None = None
    thresholds: PatternThresholds = field(default_factory=PatternThresholds)

    def __post_init__(self) -> None:
        if not 0 <= self.deposit_deadline_days <= 30:
            raise ValueError(
                f"deposit deadline must be 0..30 working days, found {self.deposit_deadline_days}"
            )
        if not isinstance(self.holidays, frozenset) or not all(
            type(day) is int for day in self.holidays
        ):
            raise ValueError("holidays must be a frozenset of day numbers (parse_holidays)")
        if len(self.holidays) > MAX_HOLIDAYS:
            raise ValueError(f"holidays must list at most {MAX_HOLIDAYS} days")
        if self.workers is not None and self.workers < 0:
            raise ValueError(f"workers must be 0 or more, found {self.workers}")
