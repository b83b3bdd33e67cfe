"""What the audit finds: :class:`Finding` values, their codes, categories and severities.

Every finding has a stable ``code`` from :data:`CATALOGUE` (documented in
``docs/audit-report.md``), the first ``seq`` it concerns when there is one, a message
saying what was expected and what was found, and ``evidence``: a JSON-ready map of the
figures, hashes and sequence numbers an inspector needs to check the claim by hand.

Three categories:

- ``integrity`` — the log, its checkpoints or its receipts are not what was signed.
  Any integrity finding makes the audit's verdict *broken* (exit status 1).
- ``compliance`` — the log is intact but records something against the rules
  (a free service charged, a void without a supervisor, a late deposit, …).
- ``pattern`` — figures worth a look that are not, by themselves, a breach.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, TypedDict

__all__ = [
    "CATALOGUE",
    "BreakKind",
    "Category",
    "Finding",
    "FindingSink",
    "FindingType",
    "Severity",
    "Where",
]


class Category(StrEnum):
    INTEGRITY = "integrity"
    COMPLIANCE = "compliance"
    PATTERN = "pattern"


class Severity(StrEnum):
    """Ordered from the gravest; :attr:`rank` sorts them."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK: Final = {s: i for i, s in enumerate(Severity)}


class BreakKind(StrEnum):
    """How the stored log differs from the signed one (integrity findings only)."""

    CHANGED = "changed"  # an entry's bytes differ from those its successor / checkpoint signed
    MISSING = "missing"  # entries were removed from the middle of the log
    INSERTED = "inserted"  # an entry is present that the signed log does not contain
    REORDERED = "reordered"  # an entry sits at another position than its own seq
    TRUNCATED = "truncated"  # the log ends before a signed checkpoint does
    ROOT_MISMATCH = "root_mismatch"  # the recomputed tree differs from a signed checkpoint
    INCONSISTENT = "inconsistent"  # two signed checkpoints are not one append-only history
    BAD_SIGNATURE = "bad_signature"  # a checkpoint or receipt signature does not verify
    UNKNOWN_KEY = "unknown_key"  # signed by a key neither the trust list nor the log knows
    KEY_LIFECYCLE = "key_lifecycle"  # signed by a key not valid at that point of the log
    RECEIPT = "receipt"  # a receipt is missing or does not commit to its entry


@dataclass(frozen=True, slots=True)
class FindingType:
    """One entry of the catalogue: what a code means and how grave it is."""

    code: str
    category: Category
    severity: Severity
    title_id: str  # Bahasa Indonesia, shown first in reports
    title_en: str


def _t(code: str, severity: Severity, title_id: str, title_en: str) -> FindingType:
    category = Category(code.split(".", 1)[0])
    return FindingType(code, category, severity, title_id, title_en)


_I, _C, _P = "integrity", "compliance", "pattern"
_CRIT, _HIGH, _MED, _LOW, _INFO = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,
)

#: Every finding code the audit can report. Codes are stable; new ones are only added.
CATALOGUE: Final[Mapping[str, FindingType]] = {
    t.code: t
    for t in (
        # --- integrity: the entries -------------------------------------------------
        _t(f"{_I}.non_canonical", _CRIT, "Entri tidak kanonik", "Entry bytes are not canonical"),
        _t(f"{_I}.changed", _CRIT, "Entri diubah", "Entry changed after it was signed"),
        _t(f"{_I}.missing", _CRIT, "Entri dihapus", "Entries removed from the log"),
        _t(f"{_I}.inserted", _CRIT, "Entri disisipkan", "Entry inserted into the log"),
        _t(f"{_I}.reordered", _CRIT, "Urutan entri ditukar", "Entry out of its position"),
        _t(
            f"{_I}.unsigned", _CRIT, "Entri tanpa checkpoint", "Entries not covered by a checkpoint"
        ),
        # --- integrity: checkpoints -------------------------------------------------
        _t(f"{_I}.truncated", _CRIT, "Log dipotong", "Log shorter than a signed checkpoint"),
        _t(f"{_I}.root_mismatch", _CRIT, "Akar pohon berbeda", "Tree root differs from checkpoint"),
        _t(f"{_I}.inconsistent", _CRIT, "Riwayat ditulis ulang", "Checkpoints not consistent"),
        _t(f"{_I}.checkpoint_malformed", _CRIT, "Checkpoint rusak", "Checkpoint malformed"),
        _t(
            f"{_I}.checkpoint_signature",
            _CRIT,
            "Tanda tangan checkpoint palsu",
            "Checkpoint signature does not verify",
        ),
        _t(f"{_I}.unknown_key", _CRIT, "Kunci tidak dikenal", "Signed by an unknown key"),
        _t(
            f"{_I}.key_lifecycle",
            _HIGH,
            "Kunci di luar masa berlaku",
            "Key used outside its validity",
        ),
        # --- integrity: receipts ----------------------------------------------------
        _t(
            f"{_I}.receipt_signature",
            _CRIT,
            "Tanda tangan kuitansi palsu",
            "Receipt signature does not verify",
        ),
        _t(f"{_I}.receipt_malformed", _CRIT, "Kuitansi rusak", "Receipt malformed"),
        _t(
            f"{_I}.receipt_mismatch",
            _CRIT,
            "Kuitansi tidak sesuai entri",
            "Receipt does not match its entry",
        ),
        _t(f"{_I}.receipt_missing", _HIGH, "Kuitansi hilang", "Signed receipt missing"),
        _t(f"{_I}.bundle_file", _HIGH, "Berkas bundel berubah", "Bundle file digest differs"),
        _t(
            f"{_I}.trust_list",
            _HIGH,
            "Daftar kunci tidak sesuai log",
            "Trust list disagrees with the log",
        ),
        # --- compliance -----------------------------------------------------------
        _t(
            f"{_C}.free_service_charged",
            _CRIT,
            "Layanan gratis dipungut biaya",
            "Free service charged",
        ),
        _t(
            f"{_C}.free_service_attempt",
            _HIGH,
            "Percobaan memungut layanan gratis",
            "Attempt to charge a free service",
        ),
        _t(
            f"{_C}.overcharge_accepted",
            _CRIT,
            "Pungutan melebihi tarif diterima",
            "Overcharge accepted",
        ),
        _t(
            f"{_C}.undercharge_without_waiver",
            _HIGH,
            "Kurang bayar tanpa keringanan",
            "Charged below the fee without a waiver",
        ),
        _t(
            f"{_C}.official_fee_mismatch",
            _HIGH,
            "Tarif resmi salah",
            "Recorded official fee differs from the schedule",
        ),
        _t(
            f"{_C}.schedule_not_in_force",
            _HIGH,
            "Versi tarif tidak berlaku",
            "Charge under a schedule version not in force",
        ),
        _t(
            f"{_C}.charge_unverifiable",
            _MED,
            "Pungutan tidak dapat diperiksa",
            "Charge cannot be re-checked",
        ),
        _t(f"{_C}.waiver", _INFO, "Keringanan tercatat", "Waiver granted"),
        _t(
            f"{_C}.rejection_mismatch",
            _MED,
            "Penolakan tidak sesuai tarif",
            "Recorded refusal disagrees with the schedule",
        ),
        _t(
            f"{_C}.schedule_invalid",
            _HIGH,
            "Dokumen tarif tidak sah",
            "Schedule publication invalid",
        ),
        _t(
            f"{_C}.schedule_retroactive",
            _CRIT,
            "Tarif berlaku surut",
            "Schedule published retroactively",
        ),
        _t(
            f"{_C}.void_unknown_receipt",
            _HIGH,
            "Pembatalan tanpa kuitansi",
            "Void of a receipt not in the log",
        ),
        _t(
            f"{_C}.void_wrong_office",
            _HIGH,
            "Pembatalan oleh kantor lain",
            "Void by another office",
        ),
        _t(
            f"{_C}.void_not_supervisor",
            _HIGH,
            "Pembatalan tanpa persetujuan penyelia",
            "Void not approved by a supervisor",
        ),
        _t(f"{_C}.void_repeated", _HIGH, "Pembatalan ganda", "Receipt voided twice"),
        _t(
            f"{_C}.closing_mismatch",
            _HIGH,
            "Tutup hari tidak sesuai",
            "Day closing differs from the receipts",
        ),
        _t(f"{_C}.closing_repeated", _MED, "Tutup hari ganda", "Counter day closed twice"),
        _t(
            f"{_C}.deposit_mismatch",
            _HIGH,
            "Setoran tidak sesuai penerimaan",
            "Deposit differs from collections",
        ),
        _t(f"{_C}.deposit_late", _MED, "Setoran terlambat", "Deposit late"),
        _t(f"{_C}.undeposited_day", _HIGH, "Penerimaan belum disetor", "Collections not deposited"),
        _t(
            f"{_C}.complaint_without_receipt",
            _HIGH,
            "Pengaduan tanpa kuitansi di log",
            "Complaint about a payment not in the log",
        ),
        _t(
            f"{_C}.complaint_amount",
            _HIGH,
            "Pengaduan: bayar melebihi kuitansi",
            "Complaint: paid more than the receipt",
        ),
        _t(
            f"{_C}.complaint_unknown_receipt",
            _MED,
            "Pengaduan merujuk kuitansi tak dikenal",
            "Complaint names a receipt not in the log",
        ),
        _t(f"{_C}.complaint_open", _LOW, "Pengaduan belum selesai", "Complaint not resolved"),
        _t(
            f"{_C}.unknown_reference",
            _MED,
            "Rujukan tidak dikenal",
            "Entry names an office, counter or user not in the log",
        ),
        _t(f"{_C}.malformed_body", _MED, "Isi entri tidak lengkap", "Entry body malformed"),
        # --- patterns --------------------------------------------------------------
        _t(f"{_P}.refusals", _LOW, "Banyak pungutan ditolak", "Many refused charges"),
        _t(f"{_P}.void_rate", _LOW, "Tingkat pembatalan tinggi", "High void rate"),
        _t(
            f"{_P}.outside_hours",
            _LOW,
            "Kuitansi di luar jam layanan",
            "Receipts outside office hours",
        ),
        _t(f"{_P}.round_amounts", _LOW, "Deretan nominal bulat", "Run of round amounts"),
        _t(
            f"{_P}.unclosed_counter",
            _MED,
            "Loket tanpa tutup hari",
            "Counter with collections but no closing",
        ),
    )
}


class Where(TypedDict, total=False):
    """Where a finding happened, for ``Finding(..., **where)``."""

    office: str
    counter: str
    date: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the audit found. ``evidence`` holds JSON values only."""

    code: str
    message: str
    seq: int | None = None
    kind: BreakKind | None = None
    office: str | None = None
    counter: str | None = None
    date: str | None = None  # WIB business day, YYYY-MM-DD
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise ValueError(f"expected a finding code from the catalogue, found {self.code!r}")

    @property
    def type(self) -> FindingType:
        return CATALOGUE[self.code]

    @property
    def category(self) -> Category:
        return CATALOGUE[self.code].category

    @property
    def severity(self) -> Severity:
        return CATALOGUE[self.code].severity

    def sort_key(self) -> tuple[int, int, int, str]:
        """Gravest first, then by position in the log."""
        seq = -1 if self.seq is None else self.seq
        return (_CATEGORY_ORDER[self.category], self.severity.rank, seq, self.code)


_CATEGORY_ORDER: Final = {Category.INTEGRITY: 0, Category.COMPLIANCE: 1, Category.PATTERN: 2}


class FindingSink:
    """Collects findings in bounded memory.

    At most ``per_code`` findings of one code are kept (the first ones in log order);
    the rest are counted in :attr:`overflow`, so a log broken at every entry cannot
    exhaust memory. Findings about entries before ``report_from`` are dropped (an
    incremental audit reports only what is new); integrity findings with no ``seq``
    are always kept.
    """

    __slots__ = ("_by_code", "overflow", "per_code", "report_from")

    def __init__(self, *, per_code: int = 1000, report_from: int = 0) -> None:
        self.per_code = per_code
        self.report_from = report_from
        self._by_code: dict[str, list[Finding]] = {}
        self.overflow: dict[str, int] = {}

    def add(self, finding: Finding, *, always: bool = False) -> None:
        """Keep ``finding`` (``always``: even if it concerns entries before ``report_from``)."""
        if not always and finding.seq is not None and finding.seq < self.report_from:
            return
        kept = self._by_code.setdefault(finding.code, [])
        if len(kept) < self.per_code:
            kept.append(finding)
        else:
            self.overflow[finding.code] = self.overflow.get(finding.code, 0) + 1

    def extend(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.add(finding)

    def sorted(self) -> tuple[Finding, ...]:
        """Every kept finding, gravest first, then by position in the log."""
        everything = [f for kept in self._by_code.values() for f in kept]
        return tuple(sorted(everything, key=Finding.sort_key))
