"""The result of checking a charge against the schedule, with messages for the petugas.

A :class:`Verdict` is truthy only when the charge is accepted. Its messages, in
Bahasa Indonesia and English, are rebuilt from its fields, so a verdict read back
from a ``charge.rejected`` entry says exactly what the counter was told.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from ledger.schedule.amounts import format_rupiah
from ledger.schedule.errors import InputProblem
from ledger.schedule.wib import format_wib

__all__ = ["Severity", "Verdict", "VerdictCode"]


class Severity(IntEnum):
    """How grave a verdict is, in increasing order."""

    INFO = 0  # accepted
    NOTICE = 1  # could not be judged: unknown service, bad inputs, no schedule
    WARNING = 2  # less than the official fee without a waiver: revenue lost
    HIGH = 3  # more than the official fee: possible pungli
    CRITICAL = 4  # any fee on a service free by law

    @property
    def label(self) -> str:
        return self.name.lower()


class VerdictCode(StrEnum):
    OK = "ok"
    WAIVED = "waived"
    OVERCHARGE = "overcharge"
    CHARGED_FOR_FREE_SERVICE = "charged_for_free_service"
    UNDERCHARGE = "undercharge"
    UNKNOWN_SERVICE = "unknown_service"
    INVALID_INPUTS = "invalid_inputs"
    NO_SCHEDULE_IN_FORCE = "no_schedule_in_force"

    @property
    def accepted(self) -> bool:
        return self in (VerdictCode.OK, VerdictCode.WAIVED)

    @property
    def severity(self) -> Severity:
        return _SEVERITY[self]


_SEVERITY = {
    VerdictCode.OK: Severity.INFO,
    VerdictCode.WAIVED: Severity.INFO,
    VerdictCode.UNKNOWN_SERVICE: Severity.NOTICE,
    VerdictCode.INVALID_INPUTS: Severity.NOTICE,
    VerdictCode.NO_SCHEDULE_IN_FORCE: Severity.NOTICE,
    VerdictCode.UNDERCHARGE: Severity.WARNING,
    VerdictCode.OVERCHARGE: Severity.HIGH,
    VerdictCode.CHARGED_FOR_FREE_SERVICE: Severity.CRITICAL,
}

# (Bahasa Indonesia, English) per code; fields filled by Verdict._fields().
_MESSAGES = {
    VerdictCode.OK: (
        "Sesuai tarif resmi {fee} untuk {service} (jadwal {version}).",
        "Matches the official fee {fee} for {service} (schedule {version}).",
    ),
    VerdictCode.WAIVED: (
        "Diterima dengan keringanan/pembebasan nomor {waiver}: ditagih {charged}, "
        "tarif resmi {fee} untuk {service}.",
        "Accepted with reduction/exemption reference {waiver}: charged {charged}, "
        "official fee {fee} for {service}.",
    ),
    VerdictCode.OVERCHARGE: (
        "DITOLAK: ditagih {charged}, lebih dari tarif resmi {fee} untuk {service}. "
        "Tagih sesuai tarif resmi. Percobaan ini tercatat di log.",
        "REFUSED: charged {charged}, more than the official fee {fee} for {service}. "
        "Charge the official fee. This attempt is recorded in the log.",
    ),
    VerdictCode.CHARGED_FOR_FREE_SERVICE: (
        "DITOLAK — PUNGUTAN LIAR: {service} GRATIS menurut {legal_ref}; tidak boleh "
        "dipungut biaya apa pun, tetapi ditagih {charged}. Percobaan ini tercatat di log "
        "untuk Inspektorat.",
        "REFUSED — ILLEGAL LEVY: {service} is FREE under {legal_ref}; no fee of any kind "
        "may be collected, yet {charged} was charged. This attempt is recorded in the log "
        "for the inspectorate.",
    ),
    VerdictCode.UNDERCHARGE: (
        "DITOLAK: ditagih {charged}, kurang dari tarif resmi {fee} untuk {service}. "
        "Jumlah lebih rendah hanya boleh dengan nomor surat keringanan/pembebasan.",
        "REFUSED: charged {charged}, less than the official fee {fee} for {service}. "
        "A lower amount needs the reference of a reduction/exemption decision.",
    ),
    VerdictCode.UNKNOWN_SERVICE: (
        "DITOLAK: kode layanan {service} tidak ada dalam jadwal retribusi {version}.",
        "REFUSED: service code {service} is not in fee schedule {version}.",
    ),
    VerdictCode.INVALID_INPUTS: (
        "DITOLAK: isian untuk {service} tidak sah: {details_id}.",
        "REFUSED: invalid inputs for {service}: {details_en}.",
    ),
    VerdictCode.NO_SCHEDULE_IN_FORCE: (
        "DITOLAK: belum ada jadwal retribusi yang berlaku pada {time}.",
        "REFUSED: no fee schedule was in force at {time}.",
    ),
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judgement of one charge.

    ``official_fee``, ``version_id``, ``service_name`` and ``legal_ref`` are ``None``
    when the charge could not be priced (no schedule, unknown service, bad inputs).
    """

    code: VerdictCode
    service_code: str
    charged: int
    at_ms: int
    official_fee: int | None = None
    version_id: str | None = None
    service_name: str | None = None
    legal_ref: str | None = None
    waiver_ref: str | None = None
    problems: tuple[InputProblem, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.code.accepted

    @property
    def severity(self) -> Severity:
        return self.code.severity

    def __bool__(self) -> bool:
        return self.accepted

    def _fields(self) -> dict[str, str]:
        service = self.service_code
        if self.service_name:
            service = f"{service} ({self.service_name})"
        return {
            "service": service,
            "fee": format_rupiah(self.official_fee) if self.official_fee is not None else "-",
            "charged": format_rupiah(self.charged),
            "version": self.version_id or "-",
            "legal_ref": self.legal_ref or "peraturan yang berlaku",
            "waiver": self.waiver_ref or "-",
            "time": format_wib(self.at_ms),
            "details_id": "; ".join(p.message_id for p in self.problems),
            "details_en": "; ".join(p.message_en for p in self.problems),
        }

    @property
    def message_id(self) -> str:
        """What the petugas is told, in Bahasa Indonesia."""
        return _MESSAGES[self.code][0].format(**self._fields())

    @property
    def message_en(self) -> str:
        return _MESSAGES[self.code][1].format(**self._fields())

    def to_json_value(self) -> dict[str, Any]:
        """The verdict for an API response: code, severity, amounts and both messages."""
        out: dict[str, Any] = {
            "code": self.code.value,
            "accepted": self.accepted,
            "severity": self.severity.label,
            "service_code": self.service_code,
            "charged": self.charged,
            "at": self.at_ms,
            "message_id": self.message_id,
            "message_en": self.message_en,
        }
        optional = {
            "official_fee": self.official_fee,
            "schedule_version": self.version_id,
            "service_name": self.service_name,
            "legal_ref": self.legal_ref,
            "waiver_ref": self.waiver_ref,
        }
        out.update({key: value for key, value in optional.items() if value is not None})
        if self.problems:
            out["problems"] = [
                {"input": p.name, "message_id": p.message_id, "message_en": p.message_en}
                for p in self.problems
            ]
        return out
