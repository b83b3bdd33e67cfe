"""Property tests: for any valid inputs, quoting works and its amount checks as ``ok``."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.schedule import (
    Charge,
    InputSpec,
    InputType,
    ScheduleItem,
    ScheduleVersion,
    VerdictCode,
    check,
    default_schedule,
    quote,
)
from ledger.schedule.amounts import MAX_DECIMAL_PLACES, decimal_text
from tests.schedule.builders import at, item, quantity, version

NOON = at("2024-06-01T12:00")

TIERED = item(
    "UJI-AIR-01",
    {
        "kind": "tiered",
        "mode": "graduated",
        "brackets": [
            {"up_to": "10.5", "rate": 1_333},
            {"up_to": 40, "amount": 7, "rate": 2_111},
            {"rate": 3_001},
        ],
        "inputs": [quantity("m3", type="decimal", min=0, max=10_000)],
    },
)
BRACKET = item(
    "UJI-KIOS-01",
    {
        "kind": "tiered",
        "mode": "bracket",
        "brackets": [
            {"up_to": 9, "amount": 50_000},
            {"up_to": 25, "rate": 6_500},
            {"amount": 10, "rate": 7_000},
        ],
        "inputs": [quantity("luas", min=1, max=500)],
    },
)
PER_UNIT = item(
    "UJI-SWA-01",
    {
        "kind": "per_unit",
        "rate": 777,
        "inputs": [quantity("jam", type="decimal", min="0.25", max=24)],
    },
)
SCHEDULES = [default_schedule(), version(TIERED, BRACKET, PER_UNIT)]
CASES = [(doc, entry) for doc in SCHEDULES for entry in doc.items]


@st.composite
def input_value(draw: st.DrawFn, spec: InputSpec) -> str | int:
    if spec.type is InputType.INTEGER:
        return draw(st.integers(int(spec.minimum), int(spec.maximum)))
    places = draw(st.integers(0, MAX_DECIMAL_PLACES))
    scale = 10**places
    low = -((-spec.minimum * scale) // 1)  # ceil
    high = (spec.maximum * scale) // 1
    units = draw(st.integers(int(low), int(high)))
    return decimal_text(Fraction(units, scale))


@st.composite
def priced_case(draw: st.DrawFn) -> tuple[ScheduleVersion, ScheduleItem, dict[str, str | int]]:
    doc, entry = draw(st.sampled_from(CASES))
    values: dict[str, str | int] = {}
    for spec in entry.tariff.inputs:
        if spec.default is not None and draw(st.booleans()):
            continue  # leave it to the default
        values[spec.name] = draw(input_value(spec))
    return doc, entry, values


@settings(max_examples=300, deadline=None, derandomize=True)
@given(priced_case())
def test_quote_never_raises_and_is_never_negative(
    case: tuple[ScheduleVersion, ScheduleItem, dict[str, str | int]],
) -> None:
    doc, entry, values = case
    result = quote(doc, entry.code, values, NOON)
    assert result.official_fee >= 0
    assert isinstance(result.official_fee, int)
    assert abs(result.exact_fee - result.official_fee) <= Fraction(1, 2)
    if entry.is_free:
        assert result.official_fee == 0


@settings(max_examples=300, deadline=None, derandomize=True)
@given(priced_case())
def test_charging_the_quoted_fee_is_always_ok(
    case: tuple[ScheduleVersion, ScheduleItem, dict[str, str | int]],
) -> None:
    doc, entry, values = case
    fee = quote(doc, entry.code, values, NOON).official_fee
    assert check(doc, Charge(entry.code, values, fee, NOON)).code is VerdictCode.OK
    more = check(doc, Charge(entry.code, values, fee + 1, NOON)).code
    expected = VerdictCode.CHARGED_FOR_FREE_SERVICE if entry.is_free else VerdictCode.OVERCHARGE
    assert more is expected
    if fee > 0:
        less = Charge(entry.code, values, fee - 1, NOON)
        assert check(doc, less).code is VerdictCode.UNDERCHARGE
