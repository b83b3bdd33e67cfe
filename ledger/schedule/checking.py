"""Checking a charge against the schedule in force (DESIGN §2, "Checking a charge").

Charged = official → ``ok``. More → ``overcharge`` (refused). Anything on a free
service → ``charged_for_free_service`` (refused, gravest). Less → ``waived`` with a
recorded waiver reference (*keringanan/pembebasan*), otherwise ``undercharge``
(refused). A charge that cannot be priced → ``unknown_service``, ``invalid_inputs`` or
``no_schedule_in_force``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ledger.schedule.document import ScheduleItem, ScheduleVersion
from ledger.schedule.errors import (
    FormulaEvaluationError,
    InputProblem,
    InvalidChargeError,
    InvalidInputsError,
    NoScheduleInForce,
)
from ledger.schedule.history import ScheduleHistory, resolve_version
from ledger.schedule.loading import MAX_AMOUNT
from ledger.schedule.quoting import official_fee_of
from ledger.schedule.verdict import Verdict, VerdictCode

__all__ = ["Charge", "check", "check_official_fee"]

_MAX_WAIVER_REF = 200


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Charge:
    """An amount a counter wants to collect for a service at ``at_ms`` (UTC ms).

    ``waiver_ref`` is the reference of the decision granting a reduction or exemption.
    Raises :class:`InvalidChargeError` when a field is malformed.
    """

    service_code: str
    inputs: Mapping[str, str | int]
    charged: int
    at_ms: int
    waiver_ref: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.service_code, str) or not self.service_code:
            raise InvalidChargeError(f"expected a service code, found {self.service_code!r}")
        if not _is_int(self.charged) or not 0 <= self.charged <= MAX_AMOUNT:
            raise InvalidChargeError(
                f"expected the amount charged as whole rupiah from 0 to {MAX_AMOUNT}, "
                f"found {self.charged!r}"
            )
        if not _is_int(self.at_ms) or self.at_ms < 0:
            raise InvalidChargeError(f"expected at_ms as UTC milliseconds, found {self.at_ms!r}")
        if not isinstance(self.inputs, Mapping):
            raise InvalidChargeError(f"expected inputs as a map, found {self.inputs!r}")
        for key, value in self.inputs.items():
            if not isinstance(key, str) or not (isinstance(value, str) or _is_int(value)):
                raise InvalidChargeError(
                    f"expected inputs of text names and integer or text values, "
                    f"found {key!r}: {value!r}"
                )
        if self.waiver_ref is not None and (
            not isinstance(self.waiver_ref, str)
            or not self.waiver_ref.strip()
            or len(self.waiver_ref) > _MAX_WAIVER_REF
        ):
            raise InvalidChargeError(
                f"expected a waiver reference of 1 to {_MAX_WAIVER_REF} characters or none, "
                f"found {self.waiver_ref!r}"
            )
        object.__setattr__(self, "inputs", dict(self.inputs))


def check(source: ScheduleHistory | ScheduleVersion, charge: Charge) -> Verdict:
    """Judge ``charge`` by the schedule version in force at ``charge.at_ms``."""
    return _judge(source, charge, charge.charged)


def check_official_fee(source: ScheduleHistory | ScheduleVersion, charge: Charge) -> Verdict:
    """Judge collecting exactly the official fee for ``charge``'s service and inputs
    (``charge.charged`` is ignored): the verdict's ``charged`` is that fee and its code
    ``ok`` — or, when the charge cannot be priced, the code saying why, with ``charged``
    0. Prices once, where :func:`~ledger.schedule.quote` followed by :func:`check` would
    price twice."""
    return _judge(source, charge, None)


def _judge(
    source: ScheduleHistory | ScheduleVersion, charge: Charge, charged: int | None
) -> Verdict:
    """The verdict on collecting ``charged`` (``None``: the official fee, whatever it is).
    Prices without a breakdown: a verdict needs only the amount. Each outcome builds its
    verdict once (``dataclasses.replace`` on this many fields costs more than the check)."""
    collected = 0 if charged is None else charged

    def verdict(
        code: VerdictCode,
        version: ScheduleVersion | None = None,
        item: ScheduleItem | None = None,
        *,
        official_fee: int | None = None,
        amount: int = collected,
        problems: tuple[InputProblem, ...] = (),
    ) -> Verdict:
        return Verdict(
            code,
            service_code=charge.service_code,
            charged=amount,
            at_ms=charge.at_ms,
            official_fee=official_fee,
            version_id=version.id if version is not None else None,
            service_name=item.name if item is not None else None,
            legal_ref=item.legal_ref if item is not None else None,
            waiver_ref=charge.waiver_ref,
            problems=problems,
        )

    try:
        version = resolve_version(source, charge.at_ms)
    except NoScheduleInForce:
        return verdict(VerdictCode.NO_SCHEDULE_IN_FORCE)
    if charge.service_code not in version:
        return verdict(VerdictCode.UNKNOWN_SERVICE, version)
    item = version.item(charge.service_code)
    if item.is_free and charged is not None and charged > 0:
        # UU 24/2013 Pasal 79A: nothing may be collected, whatever the inputs.
        return verdict(VerdictCode.CHARGED_FOR_FREE_SERVICE, version, item, official_fee=0)
    try:
        official = official_fee_of(item, charge.inputs)
    except InvalidInputsError as exc:
        return verdict(VerdictCode.INVALID_INPUTS, version, item, problems=exc.problems)
    except FormulaEvaluationError as exc:
        problem = InputProblem(
            "",
            "rumus tarif tidak dapat dihitung untuk isian ini",
            f"the tariff formula cannot be computed for these inputs ({exc})",
        )
        return verdict(VerdictCode.INVALID_INPUTS, version, item, problems=(problem,))
    if charged is None:
        return verdict(VerdictCode.OK, version, item, official_fee=official, amount=official)
    if charged == official:
        code = VerdictCode.OK
    elif charged > official:
        code = VerdictCode.OVERCHARGE
    elif charge.waiver_ref is not None:
        code = VerdictCode.WAIVED
    else:
        code = VerdictCode.UNDERCHARGE
    return verdict(code, version, item, official_fee=official)
