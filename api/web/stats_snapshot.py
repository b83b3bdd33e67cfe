"""The pages' figures saved to disk, so that a restarted server folds only the log's tail.

:class:`~api.web.stats.LedgerStats` is a fold of the public log (``docs/pages.md``
§Figures); a restarted server would fold every entry again (~30 µs each). A snapshot holds
the figures after the first ``next_seq`` entries together with the **leaf hash of entry
``next_seq - 1``**: through the entries' ``prev`` links that hash commits to the whole
prefix, so a snapshot is used only for the log it was folded from, and is discarded when
that log has been rewritten, truncated or replaced. It also records the settings the
figures depend on (the deposit deadline and the holiday list); a snapshot made with other
settings is discarded and the log folded again.

Pure: :func:`dump` and :func:`load` turn figures into bytes and back. The file holds only
what the public pages show anyway (counts, sums, receipt numbers, complaint tracking
numbers and statuses), no personal data. Format: UTF-8 JSON, ``format`` =
:data:`SNAPSHOT_FORMAT`; any other format, or anything malformed, is refused with
:class:`SnapshotError` (the caller then folds from the start).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import astuple, fields
from typing import Any, Final, TypeVar

from api.web.stats import (
    RECENT,
    ComplaintFact,
    DayFigures,
    LedgerStats,
    MonthFigures,
    ReceiptFact,
    RefusalFact,
    VoidFact,
)

__all__ = ["SNAPSHOT_FORMAT", "SnapshotError", "dump", "load"]

SNAPSHOT_FORMAT: Final = "bukti-web-figures/1"

D = TypeVar("D")


class SnapshotError(ValueError):
    """A snapshot that cannot be used: malformed, another format, or other settings."""


def dump(stats: LedgerStats, anchor: bytes) -> bytes:
    """The snapshot of ``stats``; ``anchor`` is the leaf hash of entry ``next_seq - 1``
    (empty when no entry has been folded)."""
    document = {
        "format": SNAPSHOT_FORMAT,
        "next_seq": stats.next_seq,
        "anchor": anchor.hex(),
        "deadline_days": stats.deadline_days,
        "holidays": sorted(stats.holidays),
        "months": [[*key, list(astuple(v))] for key, v in stats.months.items()],
        "days": [[*key, list(astuple(v))] for key, v in stats.days.items()],
        "complaints": [list(astuple(v)) for v in stats.complaints.values()],
        "deposit_periods": [
            [office, [list(p) for p in ps]] for office, ps in stats.deposit_periods.items()
        ],
        "recent_receipts": [
            [*key, [list(astuple(f)) for f in facts]]
            for key, facts in stats.recent_receipts.items()
        ],
        "voided": [[receipt, void] for receipt, void in stats.voided.items()],
        "refusals": [list(astuple(f)) for f in stats.refusals],
        "voids": [list(astuple(f)) for f in stats.voids],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def load(data: bytes, *, deadline_days: int, holidays: frozenset[int]) -> tuple[LedgerStats, bytes]:
    """The figures of a snapshot and its anchor; raises :class:`SnapshotError` when it is
    malformed, of another format, or made with another deadline or holiday list."""
    try:
        document = json.loads(data.decode("utf-8"))
        if not isinstance(document, dict) or document.get("format") != SNAPSHOT_FORMAT:
            raise SnapshotError(f"expected a snapshot of format {SNAPSHOT_FORMAT!r}")
        if document["deadline_days"] != deadline_days:
            raise SnapshotError(
                f"the snapshot was made with a deadline of {document['deadline_days']} working "
                f"days, the service now uses {deadline_days}"
            )
        if frozenset(_ints(document["holidays"])) != holidays:
            raise SnapshotError("the snapshot was made with another holiday list")
        next_seq = _int(document["next_seq"])
        anchor = bytes.fromhex(_str(document["anchor"]))
        if (next_seq == 0) != (anchor == b"") or len(anchor) not in (0, 32):
            raise SnapshotError("the snapshot's anchor does not fit its size")
        stats = LedgerStats(deadline_days=deadline_days, holidays=holidays, next_seq=next_seq)
        for office, month, values in _rows(document["months"], 3):
            stats.months[(_str(office), _str(month))] = _make(MonthFigures, values)
        for office, day, values in _rows(document["days"], 3):
            stats.days[(_str(office), _str(day))] = _make(DayFigures, values)
        for values in _list(document["complaints"]):
            complaint = _make(ComplaintFact, values)
            stats.complaints[complaint.tracking_no] = complaint
        for office, periods in _rows(document["deposit_periods"], 2):
            stats.deposit_periods[_str(office)] = [
                (_str(first), _str(last)) for first, last in _rows(periods, 2)
            ]
        for office, counter, facts in _rows(document["recent_receipts"], 3):
            stats.recent_receipts[(_str(office), _str(counter))] = deque(
                (_make(ReceiptFact, f) for f in _list(facts)), maxlen=RECENT
            )
        for receipt, void in _rows(document["voided"], 2):
            stats.voided[_int(receipt)] = _int(void)
        stats.refusals.extend(_make(RefusalFact, v) for v in _list(document["refusals"]))
        stats.voids.extend(_make(VoidFact, v) for v in _list(document["voids"]))
    except SnapshotError:
        raise
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"the snapshot is malformed: {exc}") from exc
    return stats, anchor


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise SnapshotError(f"expected a list, found {type(value).__name__}")
    return value


def _rows(value: Any, width: int) -> Iterable[Sequence[Any]]:
    for row in _list(value):
        if not isinstance(row, list) or len(row) != width:
            raise SnapshotError(f"expected rows of {width} values, found {row!r}")
        yield row


def _int(value: Any) -> int:
    if type(value) is not int:
        raise SnapshotError(f"expected an integer, found {value!r}")
    return value


def _ints(value: Any) -> list[int]:
    return [_int(v) for v in _list(value)]


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise SnapshotError(f"expected a text, found {value!r}")
    return value


def _make(cls: type[D], values: Any) -> D:
    """An instance of the dataclass ``cls`` from its fields' values, each of the type its
    field declares (``int``, ``str``, or either or ``None``)."""
    items = _list(values)
    declared = fields(cls)  # type: ignore[arg-type]
    if len(items) != len(declared):
        raise SnapshotError(
            f"expected {len(declared)} values for {cls.__name__}, found {len(items)}"
        )
    for field, value in zip(declared, items, strict=True):
        kind = str(field.type)
        if value is None and "None" in kind:
            continue
        if kind.startswith("int") and type(value) is not int:
            raise SnapshotError(
                f"{cls.__name__}.{field.name}: expected an integer, found {value!r}"
            )
        if kind.startswith("str") and not isinstance(value, str):
            raise SnapshotError(f"{cls.__name__}.{field.name}: expected a text, found {value!r}")
    return cls(*items)
