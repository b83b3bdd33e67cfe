"""A populated Bukti log for audit tests: every kind of entry, through the one append path.

:func:`populate` appends, with a fixed clock and fixed keys, what a few days at two offices
look like: the log and receipts keys, offices, counters, staff, the default schedule,
receipts (some with waivers) each signed and attached as ``receipt.cose``, refused charges
(overcharges and attempts on free services), supervisor-approved voids with their void
receipts, day closings with the figures the receipts give, next-morning deposits, and a
complaint that is filed and resolved. Everything it writes is honest: an audit of it must
find no integrity problem and no compliance breach (waivers are listed as *info*).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.calendar import day_number, day_text, is_working_day
from ledger.schedule import Charge, check, default_schedule, publication_body, rejection_body
from ledger.storage import AppendedEntry, AppendRequest, LogStore
from receipts import (
    KeyPair,
    KeyPurpose,
    KeyRecord,
    ReceiptClaims,
    ReceiptKind,
    build_trust_list,
    commitment_from_leaf_hash,
    key_added_body,
    sign_receipt,
)

#: The fixed receipts key of the tests.
RECEIPT_SEED = hashlib.sha256(b"bukti test receipts key").digest()
HOUR = 3_600_000
DAY = 24 * HOUR
ATTACHMENT = "receipt.cose"

#: (service, inputs) a counter sells, by office kind.
SERVICES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("RJU-SMP-01", {"bulan": 1}),
    ("RJU-SMP-02", {"bulan": 3}),
    ("RJU-SMP-03", {"bulan": 12}),
    ("RJU-PKR-02", {}),
    ("RJU-PSR-01", {"hari": 7}),
    ("RJU-KES-01", {}),
    ("RPT-PBG-01", {"LLt": "235", "It": "0.773", "Ibg": "1"}),
    ("BBS-DKP-02", {}),
)
OFFICES = ("32.16.20-DISPENDA", "32.16.04-PUSKESMAS")


@dataclass
class Population:
    """The populated log and what the tests need to know about it."""

    store: LogStore
    log_record: KeyRecord
    receipt_key: KeyPair
    receipt_record: KeyRecord
    clock_ms: int
    trust_list: bytes
    #: Notable sequence numbers by name (first receipt, a void, the schedule, …).
    seqs: dict[str, int] = field(default_factory=dict)
    receipts: list[int] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)  # role/office label -> user id


class _Writer:
    def __init__(self, store: LogStore, start_ms: int) -> None:
        self.store = store
        self.now = start_ms

    def append(
        self,
        kind: str,
        body: Mapping[str, Any],
        attach: Callable[[AppendedEntry], Mapping[str, bytes]] | None = None,
    ) -> AppendedEntry:
        self.now += 1000
        return self.store.append(AppendRequest(kind=kind, at=self.now, body=body, attach=attach))


def receipt_attachment(key: KeyPair) -> Callable[[AppendedEntry], Mapping[str, bytes]]:
    def attach(entry: AppendedEntry) -> Mapping[str, bytes]:
        body = entry.body
        claims = ReceiptClaims(
            office_code=body["office"],
            counter_code=body["counter"],
            number=body["receipt_no"],
            ledger_index=entry.seq,
            issued_at=entry.at // 1000,
            service_code=body["service"],
            schedule_version=body["schedule"],
            official_fee=body["official_fee"],
            amount_charged=body["charged"],
            kind=ReceiptKind.NORMAL,
            commitment=commitment_from_leaf_hash(entry.leaf_hash),
            waiver_ref=body.get("waiver"),
        )
        return {ATTACHMENT: sign_receipt(claims, key)}

    return attach


def _void_attach(
    key: KeyPair, original: Mapping[str, Any]
) -> Callable[[AppendedEntry], Mapping[str, bytes]]:
    def attach(entry: AppendedEntry) -> Mapping[str, bytes]:
        claims = ReceiptClaims(
            office_code=original["office"],
            counter_code=original["counter"],
            number=f"{original['receipt_no']}/B",
            ledger_index=entry.seq,
            issued_at=entry.at // 1000,
            service_code=original["service"],
            schedule_version=original["schedule"],
            official_fee=original["official_fee"],
            amount_charged=original["charged"],
            kind=ReceiptKind.VOID,
            commitment=commitment_from_leaf_hash(entry.leaf_hash),
            voided_number=original["receipt_no"],
        )
        return {ATTACHMENT: sign_receipt(claims, key)}

    return attach


def populate(
    store: LogStore,
    *,
    log_public_key: bytes,
    log_key_name: str,
    start_ms: int,
    days: int = 3,
    receipts_per_counter: int = 12,
    seed: int = 7,
    skip_deposit: tuple[str, int] | None = None,
) -> Population:
    """Append ``days`` business days of activity at two offices with two counters each.

    ``skip_deposit=(office, day index)`` leaves that office-day undeposited.
    """
    rng = random.Random(seed)
    writer = _Writer(store, start_ms)
    receipt_key = KeyPair(RECEIPT_SEED)
    log_record = KeyRecord(log_key_name, KeyPurpose.LOG, log_public_key, valid_from=start_ms)
    receipt_record = KeyRecord(
        "receipts-test", KeyPurpose.RECEIPTS, receipt_key.public_key, valid_from=start_ms
    )
    store.initialize()
    population = Population(
        store=store,
        log_record=log_record,
        receipt_key=receipt_key,
        receipt_record=receipt_record,
        clock_ms=start_ms,
        trust_list=build_trust_list([log_record, receipt_record]).to_json(),
    )
    seqs = population.seqs
    admin = "u-admin"
    seqs["key.log"] = writer.append("key.added", key_added_body(log_record, by="system")).seq
    seqs["key.receipts"] = writer.append(
        "key.added", key_added_body(receipt_record, by="system")
    ).seq
    writer.append("user.added", {"user": admin, "role": "admin", "by": "system"})
    counters: dict[str, list[str]] = {}
    for office in OFFICES:
        writer.append(
            "office.added",
            {"office": office, "name": f"Kantor {office}", "address_area": "Cikarang", "by": admin},
        )
        counters[office] = ["L01", "L02"]
        for counter in counters[office]:
            writer.append(
                "counter.added",
                {"office": office, "counter": counter, "name": f"Loket {counter}", "by": admin},
            )
            user = f"u-{office[-4:].lower()}-{counter.lower()}"
            population.users[f"counter:{office}:{counter}"] = user
            writer.append(
                "user.added", {"user": user, "role": "counter", "office": office, "by": admin}
            )
        for role in ("supervisor", "treasurer"):
            user = f"u-{office[-4:].lower()}-{role}"
            population.users[f"{role}:{office}"] = user
            writer.append("user.added", {"user": user, "role": role, "office": office, "by": admin})
    schedule = default_schedule()
    seqs["schedule"] = writer.append("schedule.published", publication_body(schedule, admin)).seq

    attach_receipt = receipt_attachment(receipt_key)
    number = {(o, c): 0 for o in OFFICES for c in counters[o]}
    day_start = start_ms - (start_ms + 7 * HOUR) % DAY  # 00:00 WIB of the first day
    pending_deposit: dict[str, tuple[str, int]] = {}
    for day, midnight in enumerate(_business_days(day_start, days)):
        date = _wib_date(midnight)
        # Morning: deposit yesterday's money (office by office).
        writer.now = max(writer.now, midnight + 8 * HOUR)
        for office, (period, amount) in sorted(pending_deposit.items()):
            treasurer = population.users[f"treasurer:{office}"]
            entry = writer.append(
                "deposit.recorded",
                {
                    "office": office,
                    "sts_no": f"STS-{office[-4:]}-{period}",
                    "bank_ref": f"BJB-{period}",
                    "amount": amount,
                    "period_from": period,
                    "period_to": period,
                    "counters": counters[office],
                    "deposited_at": writer.now,
                    "by": treasurer,
                },
            )
            seqs.setdefault("deposit", entry.seq)
        pending_deposit.clear()
        tallies: dict[tuple[str, str], list[int]] = {}
        issued_today: dict[str, list[AppendedEntry]] = {o: [] for o in OFFICES}
        for i in range(receipts_per_counter):
            for office in OFFICES:
                for counter in counters[office]:
                    writer.now = max(writer.now, midnight + 9 * HOUR + i * 20 * 60_000)
                    user = population.users[f"counter:{office}:{counter}"]
                    service, inputs = SERVICES[rng.randrange(len(SERVICES))]
                    tally = tallies.setdefault((office, counter), [0, 0, 0, 0])
                    if i % 5 == 3:  # a refused attempt, now and then
                        free = i % 10 == 3
                        attempt_service = "BBS-DKP-01" if free else service
                        official = _official(schedule, attempt_service, inputs, writer.now + 1000)
                        charge = Charge(attempt_service, inputs, official + 5000, writer.now + 1000)
                        verdict = check(schedule, charge)
                        entry = writer.append(
                            "charge.rejected",
                            rejection_body(charge, verdict, user, office, counter),
                        )
                        seqs.setdefault("rejected.free" if free else "rejected", entry.seq)
                        continue
                    official = _official(schedule, service, inputs, writer.now + 1000)
                    charged, waiver = official, None
                    if i == 7 and official > 10_000:
                        charged, waiver = official // 2, "SK-KERINGANAN-01"
                    number[(office, counter)] += 1
                    year = date[:4]
                    body = {
                        "receipt_no": f"{office}/{counter}/{year}/{number[(office, counter)]:06d}",
                        "office": office,
                        "counter": counter,
                        "by": user,
                        "service": service,
                        "schedule": schedule.id,
                        "inputs": dict(inputs),
                        "official_fee": official,
                        "charged": charged,
                        "verdict": "waived" if waiver else "ok",
                    }
                    if waiver:
                        body["waiver"] = waiver
                    entry = writer.append("receipt.issued", body, attach_receipt)
                    population.receipts.append(entry.seq)
                    seqs.setdefault("receipt", entry.seq)
                    if charged >= 10_000:
                        seqs.setdefault("receipt.amount", entry.seq)
                    tally[0] += 1
                    tally[1] += charged
                    issued_today[office].append(entry)
        # Afternoon: one supervisor-approved void per office.
        writer.now = max(writer.now, midnight + 14 * HOUR)
        for office in OFFICES:
            original = issued_today[office][1]
            issued = original.body
            supervisor = population.users[f"supervisor:{office}"]
            entry = writer.append(
                "receipt.voided",
                {
                    "receipt_seq": original.seq,
                    "receipt_no": issued["receipt_no"],
                    "office": office,
                    "reason": "salah input jumlah bulan",
                    "requested_by": issued["by"],
                    "approved_by": supervisor,
                    "approver_role": "supervisor",
                },
                _void_attach(receipt_key, issued),
            )
            seqs.setdefault("void", entry.seq)
            tally = tallies[(office, issued["counter"])]
            tally[2] += 1
            tally[3] += issued["charged"]
        if day == 0:
            first = population.receipts[0]
            entry = writer.append(
                "complaint.filed",
                {
                    "tracking_no": "ADU-TEST000001",
                    "receipt_seq": first,
                    "paid_claimed": 0,
                    "text_commitment": hashlib.sha256(b"complaint text").hexdigest(),
                },
            )
            seqs["complaint"] = entry.seq
            writer.append(
                "complaint.updated",
                {"tracking_no": "ADU-TEST000001", "status": "resolved", "by": admin},
            )
        # Closing time.
        writer.now = max(writer.now, midnight + 15 * HOUR + 30 * 60_000)
        for (office, counter), (count, total, voids, void_total) in sorted(tallies.items()):
            entry = writer.append(
                "day.closed",
                {
                    "office": office,
                    "counter": counter,
                    "date": date,
                    "count": count,
                    "total": total,
                    "voids": voids,
                    "void_total": void_total,
                    "net": total - void_total,
                    "last_seq": store.size() - 1,
                    "by": population.users[f"counter:{office}:{counter}"],
                },
            )
            seqs.setdefault("closing", entry.seq)
        for office in OFFICES:
            net = sum(t[1] - t[3] for (o, _), t in tallies.items() if o == office)
            if skip_deposit != (office, day):
                pending_deposit[office] = (date, net)
    population.clock_ms = writer.now
    return population


def _official(schedule: Any, service: str, inputs: Mapping[str, Any], at: int) -> int:
    verdict = check(schedule, Charge(service, dict(inputs), 0, at))
    return verdict.official_fee or 0


def _wib_date(at_ms: int) -> str:
    return day_text(day_number(at_ms))


def _business_days(first_midnight: int, count: int) -> list[int]:
    """Midnights (WIB) of the first ``count`` working days from ``first_midnight`` on."""
    out: list[int] = []
    midnight = first_midnight
    while len(out) < count:
        if is_working_day(day_number(midnight)):
            out.append(midnight)
        midnight += DAY
    return out
