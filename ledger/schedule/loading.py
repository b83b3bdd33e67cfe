"""Reading schedule documents (TOML, JSON or an already-parsed map) into validated values.

Every problem is collected — unknown or missing fields, duplicate codes, unknown tariff
kinds, negative or fractional amounts, floats where exact numbers are needed, formulas
that do not parse or refer to undeclared names, bounds the wrong way round, … — and
reported together in one :class:`ScheduleValidationError`, each with its item code and
field. The format is described in docs/schedule-format.md.
"""

from __future__ import annotations

import keyword
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction
from typing import TypeVar

from ledger.encoding import parse_json_strict
from ledger.errors import EncodingError
from ledger.schedule.amounts import decimal_text, parse_decimal
from ledger.schedule.document import (
    DOCUMENT_FORMAT,
    Category,
    Provenance,
    ScheduleItem,
    ScheduleVersion,
)
from ledger.schedule.errors import FormulaError, Problem, ScheduleValidationError
from ledger.schedule.formula import FUNCTIONS, compile_formula
from ledger.schedule.inputs import InputSpec, InputType
from ledger.schedule.tariffs import (
    Bracket,
    FixedTariff,
    FormulaTariff,
    FreeTariff,
    PerUnitTariff,
    Tariff,
    TariffKind,
    TieredTariff,
    TierMode,
)
from ledger.schedule.wib import WIB, parse_wib

__all__ = ["MAX_AMOUNT", "parse_json", "parse_toml", "version_from_mapping"]

#: Largest amount, rate, bound or constant a document may hold (Rp1 triliun).
MAX_AMOUNT = 10**12
_MAX_TEXT = 1000

_VERSION_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_ITEM_CODE_RE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
_MAX_ITEM_CODE = 32
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")

_ROOT_REQUIRED = ("format", "id", "title", "legal_basis", "effective_from", "items")
_ROOT_OPTIONAL = ("notes",)
_ITEM_REQUIRED = ("code", "name", "category", "unit", "tariff", "legal_ref", "provenance")
_ITEM_OPTIONAL = ("notes",)
_TARIFF_FIELDS: Mapping[TariffKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    TariffKind.FREE: ((), ()),
    TariffKind.FIXED: (("amount",), ()),
    TariffKind.PER_UNIT: (("rate", "inputs"), ()),
    TariffKind.TIERED: (("mode", "brackets", "inputs"), ()),
    TariffKind.FORMULA: (("expression", "inputs"), ("constants",)),
}
_INPUT_REQUIRED = ("name", "label", "type", "min", "max")
_INPUT_OPTIONAL = ("unit", "default")
_BRACKET_OPTIONAL = ("up_to", "amount", "rate")

_E = TypeVar("_E", bound=StrEnum)


def _num(value: Fraction) -> str:
    try:
        return decimal_text(value)
    except ValueError:
        return str(value)


def _name_problem(name: str) -> str | None:
    """Why ``name`` cannot name an input or constant, or ``None`` if it can."""
    if not _NAME_RE.fullmatch(name):
        return f"expected a letter then letters, digits or '_' (at most 32), found {name!r}"
    if name in FUNCTIONS or keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"{name!r} is reserved; choose another name"
    return None


def _found(value: object) -> str:
    """How a found value is described in messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"the float {value!r}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, datetime | date):
        return f"the date/time {value.isoformat()}"
    return type(value).__name__


@dataclass
class _Reader:
    """Collects problems while reading; ``where`` is the current item (``None`` = document)."""

    problems: list[Problem] = field(default_factory=list)
    where: str | None = None

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.where, path, message))

    def table(self, path: str, value: object) -> Mapping[str, object] | None:
        if isinstance(value, Mapping):
            return value
        self.add(path, f"expected a table, found {_found(value)}")
        return None

    def fields(
        self,
        prefix: str,
        table: Mapping[str, object],
        required: Sequence[str],
        optional: Sequence[str] = (),
    ) -> None:
        allowed = set(required) | set(optional)
        for key in table:
            if key not in allowed:
                expected = ", ".join(sorted(allowed)) or "none"
                self.add(f"{prefix}{key}", f"unknown field; expected one of: {expected}")
        for key in required:
            if key not in table:
                self.add(f"{prefix}{key}", "required field is missing")

    def text(self, path: str, value: object, *, limit: int = _MAX_TEXT) -> str | None:
        if not isinstance(value, str):
            self.add(path, f"expected text, found {_found(value)}")
            return None
        if not value.strip():
            self.add(path, "expected non-empty text, found an empty string")
            return None
        if len(value) > limit:
            self.add(path, f"expected at most {limit} characters, found {len(value)}")
            return None
        return value

    def text_field(
        self, table: Mapping[str, object], key: str, *, prefix: str = "", limit: int = _MAX_TEXT
    ) -> str | None:
        """The text at ``key``, or ``None`` when absent (a missing required field is
        reported by :meth:`fields`)."""
        return self.text(f"{prefix}{key}", table[key], limit=limit) if key in table else None

    def choice(self, path: str, value: object, enum: type[_E]) -> _E | None:
        options = ", ".join(repr(e.value) for e in enum)
        if isinstance(value, str):
            try:
                return enum(value)
            except ValueError:
                pass
        self.add(path, f"expected one of {options}, found {_found(value)}")
        return None

    def amount(self, path: str, value: object) -> int | None:
        """Whole rupiah: an integer from 0 to :data:`MAX_AMOUNT`."""
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float):
                self.add(path, f"expected whole rupiah as an integer, found fractional {value!r}")
            elif isinstance(value, str):
                self.add(path, f"expected whole rupiah as an integer (not text), found {value!r}")
            else:
                self.add(path, f"expected whole rupiah as an integer, found {_found(value)}")
            return None
        if value < 0:
            self.add(path, f"expected an amount of at least 0, found negative {value}")
            return None
        if value > MAX_AMOUNT:
            self.add(path, f"expected at most {MAX_AMOUNT}, found {value}")
            return None
        return value

    def number(self, path: str, value: object) -> Fraction | None:
        """An exact number: an integer, or decimal text such as ``"0.005"``."""
        if isinstance(value, bool):
            self.add(path, f"expected a number, found {_found(value)}")
            return None
        if isinstance(value, float):
            self.add(
                path,
                f'expected an integer or decimal text such as "0.5", found the float '
                f"{value!r} (floats are not exact)",
            )
            return None
        if isinstance(value, int):
            result = Fraction(value)
        elif isinstance(value, str):
            try:
                result = parse_decimal(value)
            except ValueError as exc:
                self.add(path, str(exc))
                return None
        else:
            self.add(path, f"expected a number, found {_found(value)}")
            return None
        if abs(result) > MAX_AMOUNT:
            self.add(path, f"expected a magnitude of at most {MAX_AMOUNT}, found {value}")
            return None
        return result

    def array(self, path: str, value: object) -> Sequence[object] | None:
        if isinstance(value, list | tuple):
            return value
        self.add(path, f"expected a list, found {_found(value)}")
        return None

    def entries(self, path: str, value: object) -> Iterator[tuple[str, Mapping[str, object]]]:
        """``(path[i], table)`` for every table in the list at ``path``."""
        for i, entry in enumerate(self.array(path, value) or ()):
            table = self.table(f"{path}[{i}]", entry)
            if table is not None:
                yield f"{path}[{i}]", table


# ------------------------------------------------------------------ document level


def _effective_from(reader: _Reader, value: object) -> int | None:
    path = "effective_from"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            reader.add(
                path, f"expected WIB wall-clock time without an offset, found {_found(value)}"
            )
            return None
        if value.second or value.microsecond:
            reader.add(path, f"expected a whole minute, found {_found(value)}")
            return None
        return int(value.replace(tzinfo=WIB).timestamp()) * 1000
    if isinstance(value, str):
        try:
            return parse_wib(value)
        except ValueError as exc:
            reader.add(path, str(exc))
            return None
    reader.add(path, f'expected a WIB time "YYYY-MM-DDTHH:MM", found {_found(value)}')
    return None


def version_from_mapping(data: object) -> ScheduleVersion:
    """Validate a parsed document (a map, e.g. from TOML or the ledger) into a version.

    Raises :class:`ScheduleValidationError` listing every problem found.
    """
    reader = _Reader()
    root = reader.table("(document)", data)
    if root is None:
        raise ScheduleValidationError(reader.problems)
    reader.fields("", root, _ROOT_REQUIRED, _ROOT_OPTIONAL)

    fmt = root.get("format")
    if "format" in root and (isinstance(fmt, bool) or fmt != DOCUMENT_FORMAT):
        reader.add("format", f"expected {DOCUMENT_FORMAT}, found {_found(fmt)}")
    version_id = reader.text_field(root, "id", limit=64)
    if version_id is not None and not _VERSION_ID_RE.fullmatch(version_id):
        reader.add(
            "id",
            f"expected letters, digits, '.', '_' or '-' (e.g. bekasi-2024.1), found {version_id!r}",
        )
    title = reader.text_field(root, "title")
    basis = reader.text_field(root, "legal_basis")
    notes = reader.text_field(root, "notes")
    effective = (
        _effective_from(reader, root["effective_from"]) if "effective_from" in root else None
    )

    items: list[ScheduleItem] = []
    seen: dict[str, int] = {}
    if "items" in root:
        raw_items = reader.array("items", root["items"])
        if raw_items is not None and not raw_items:
            reader.add("items", "expected at least one item, found none")
        for index, raw in enumerate(raw_items or ()):
            item = _item(reader, index, raw, seen)
            if item is not None:
                items.append(item)

    if reader.problems:
        raise ScheduleValidationError(reader.problems)
    assert version_id is not None
    assert title is not None
    assert basis is not None
    assert effective is not None
    return ScheduleVersion(
        id=version_id,
        title=title,
        legal_basis=basis,
        effective_from_ms=effective,
        items=tuple(items),
        notes=notes,
    )


# ------------------------------------------------------------------ items


def _item(reader: _Reader, index: int, raw: object, seen: dict[str, int]) -> ScheduleItem | None:
    code_value = raw.get("code") if isinstance(raw, Mapping) else None
    usable = isinstance(code_value, str) and bool(code_value.strip())
    reader.where = code_value if usable and isinstance(code_value, str) else f"items[{index}]"
    try:
        table = reader.table("(item)", raw)
        if table is None:
            return None
        before = len(reader.problems)
        reader.fields("", table, _ITEM_REQUIRED, _ITEM_OPTIONAL)

        code = reader.text_field(table, "code", limit=_MAX_ITEM_CODE)
        if code is not None:
            if not _ITEM_CODE_RE.fullmatch(code):
                reader.add(
                    "code",
                    f"expected capitals and digits in dash-separated groups "
                    f"(e.g. RJU-SMP-01), found {code!r}",
                )
            elif code in seen:
                reader.add("code", f"duplicate code; already used by items[{seen[code]}]")
            else:
                seen[code] = index
        name = reader.text_field(table, "name")
        unit = reader.text_field(table, "unit", limit=100)
        legal_ref = reader.text_field(table, "legal_ref")
        notes = reader.text_field(table, "notes")
        category = (
            reader.choice("category", table["category"], Category) if "category" in table else None
        )
        provenance = (
            reader.choice("provenance", table["provenance"], Provenance)
            if "provenance" in table
            else None
        )
        tariff = _tariff(reader, table["tariff"]) if "tariff" in table else None

        if tariff is not None and not isinstance(tariff, FreeTariff):
            if category is Category.LAYANAN_GRATIS:
                reader.add(
                    "tariff.kind",
                    f"category 'layanan_gratis' needs tariff kind 'free', found '{tariff.kind}'",
                )
            if provenance is Provenance.FREE_BY_LAW:
                reader.add(
                    "tariff.kind",
                    f"provenance 'L' (free by law) needs tariff kind 'free', found '{tariff.kind}'",
                )
        if len(reader.problems) > before:
            return None
        assert code is not None
        assert name is not None
        assert unit is not None
        assert legal_ref is not None
        assert category is not None
        assert provenance is not None
        assert tariff is not None
        return ScheduleItem(
            code=code,
            name=name,
            category=category,
            unit=unit,
            tariff=tariff,
            legal_ref=legal_ref,
            provenance=provenance,
            notes=notes,
        )
    finally:
        reader.where = None


# ------------------------------------------------------------------ tariffs


def _tariff(reader: _Reader, raw: object) -> Tariff | None:
    table = reader.table("tariff", raw)
    if table is None:
        return None
    if "kind" not in table:
        reader.add("tariff.kind", "required field is missing")
        return None
    kind = reader.choice("tariff.kind", table["kind"], TariffKind)
    if kind is None:
        return None
    required, optional = _TARIFF_FIELDS[kind]
    reader.fields("tariff.", table, ("kind", *required), optional)
    if any(key not in table for key in required):
        return None
    if kind is TariffKind.FREE:
        return FreeTariff()
    if kind is TariffKind.FIXED:
        amount = reader.amount("tariff.amount", table["amount"])
        return None if amount is None else FixedTariff(amount)
    if kind is TariffKind.FORMULA:
        return _formula_tariff(reader, table)
    quantity = _quantity(reader, kind, table["inputs"])
    if kind is TariffKind.PER_UNIT:
        rate = reader.amount("tariff.rate", table["rate"])
        if rate is None or quantity is None:
            return None
        return PerUnitTariff(rate=rate, quantity=quantity)
    return _tiered_tariff(reader, table, quantity)


def _inputs(reader: _Reader, raw: object) -> list[InputSpec] | None:
    """The declared inputs; ``None`` if any of them has a problem."""
    before = len(reader.problems)
    specs: list[InputSpec] = []
    names: set[str] = set()
    for path, table in reader.entries("tariff.inputs", raw):
        spec = _input(reader, path, table)
        if spec is None:
            continue
        if spec.name in names:
            reader.add(f"{path}.name", f"duplicate input name {spec.name!r}")
        names.add(spec.name)
        specs.append(spec)
    return None if len(reader.problems) > before else specs


def _input(reader: _Reader, path: str, table: Mapping[str, object]) -> InputSpec | None:
    before = len(reader.problems)
    reader.fields(f"{path}.", table, _INPUT_REQUIRED, _INPUT_OPTIONAL)
    name = reader.text_field(table, "name", prefix=f"{path}.", limit=32)
    problem = None if name is None else _name_problem(name)
    if problem:
        reader.add(f"{path}.name", problem)
    label = reader.text_field(table, "label", prefix=f"{path}.")
    unit = reader.text_field(table, "unit", prefix=f"{path}.", limit=50)
    kind = reader.choice(f"{path}.type", table["type"], InputType) if "type" in table else None
    bounds: dict[str, Fraction | None] = {}
    for key in ("min", "max", "default"):
        if key in table:
            value = reader.number(f"{path}.{key}", table[key])
            if value is not None and kind is InputType.INTEGER and value.denominator != 1:
                reader.add(
                    f"{path}.{key}",
                    f"an integer input needs a whole number here, found {table[key]!r}",
                )
            bounds[key] = value
    low, high, default = bounds.get("min"), bounds.get("max"), bounds.get("default")
    if low is not None and high is not None and low > high:
        reader.add(f"{path}.max", f"expected max ≥ min ({table['min']!r}), found {table['max']!r}")
    elif (
        default is not None and low is not None and high is not None and not low <= default <= high
    ):
        reader.add(
            f"{path}.default",
            f"expected a default between min and max, found {table['default']!r}",
        )
    if len(reader.problems) > before:
        return None
    assert name is not None
    assert label is not None
    assert kind is not None
    assert low is not None
    assert high is not None
    return InputSpec(name, label, kind, low, high, unit, default)


def _quantity(reader: _Reader, kind: TariffKind, raw: object) -> InputSpec | None:
    specs = _inputs(reader, raw)
    if specs is None:
        return None
    if len(specs) != 1:
        reader.add(
            "tariff.inputs",
            f"a {kind.value} tariff declares exactly one input (the quantity), found {len(specs)}",
        )
        return None
    if specs[0].minimum < 0:
        reader.add(
            "tariff.inputs[0].min",
            f"a quantity cannot be negative, found min {_num(specs[0].minimum)}",
        )
        return None
    return specs[0]


def _tiered_tariff(
    reader: _Reader, table: Mapping[str, object], quantity: InputSpec | None
) -> Tariff | None:
    before = len(reader.problems)
    mode = reader.choice("tariff.mode", table["mode"], TierMode)
    brackets: list[Bracket] = []
    raw = reader.array("tariff.brackets", table["brackets"])
    if raw is not None and not raw:
        reader.add("tariff.brackets", "expected at least one bracket, found none")
    last = len(raw or ()) - 1
    previous: Fraction | None = None
    for i, raw_bracket in enumerate(raw or ()):
        path = f"tariff.brackets[{i}]"
        bracket_table = reader.table(path, raw_bracket)
        if bracket_table is None:
            continue
        reader.fields(f"{path}.", bracket_table, (), _BRACKET_OPTIONAL)
        up_to = None
        if i < last and "up_to" not in bracket_table:
            reader.add(f"{path}.up_to", "required on every bracket but the last")
        elif i == last and "up_to" in bracket_table:
            reader.add(f"{path}.up_to", "the last bracket has no upper end; remove up_to")
        elif "up_to" in bracket_table:
            up_to = reader.number(f"{path}.up_to", bracket_table["up_to"])
        if up_to is not None and previous is not None and up_to <= previous:
            reader.add(
                f"{path}.up_to",
                f"expected more than the previous bracket's {_num(previous)}, found {_num(up_to)}",
            )
        if quantity is not None:
            if mode is TierMode.BRACKET and up_to is not None and up_to < quantity.minimum:
                reader.add(
                    f"{path}.up_to",
                    f"bracket can never apply: the quantity is at least {_num(quantity.minimum)}",
                )
            if previous is not None and previous >= quantity.maximum:
                reader.add(
                    path,
                    f"bracket can never apply: the quantity is at most {_num(quantity.maximum)}",
                )
        amount = reader.amount(f"{path}.amount", bracket_table.get("amount", 0))
        rate = reader.amount(f"{path}.rate", bracket_table.get("rate", 0))
        if amount is not None and rate is not None:
            brackets.append(Bracket(up_to=up_to, amount=amount, rate=rate))
        if up_to is not None:
            previous = up_to
    if len(reader.problems) > before or mode is None or quantity is None:
        return None
    return TieredTariff(mode=mode, brackets=tuple(brackets), quantity=quantity)


def _formula_tariff(reader: _Reader, table: Mapping[str, object]) -> Tariff | None:
    before = len(reader.problems)
    # The formula's own length limit gives the precise message.
    text = reader.text("tariff.expression", table["expression"], limit=10_000)
    formula = None
    if text is not None:
        try:
            formula = compile_formula(text)
        except FormulaError as exc:
            reader.add("tariff.expression", str(exc))
    specs = _inputs(reader, table["inputs"])
    if specs is not None and not specs:
        reader.add("tariff.inputs", "a formula declares at least one input; use 'fixed' otherwise")
    constants: dict[str, Fraction] = {}
    constants_ok = True
    if "constants" in table:
        raw = reader.table("tariff.constants", table["constants"])
        for name, value in (raw or {}).items():
            path = f"tariff.constants.{name}"
            problem = _name_problem(name)
            if problem:
                reader.add(path, problem)
                constants_ok = False
            number = reader.number(path, value)
            if number is None:
                constants_ok = False
            else:
                constants[name] = number
    input_names = {spec.name for spec in specs or ()}
    for name in sorted(input_names & constants.keys()):
        reader.add(f"tariff.constants.{name}", "the same name is declared as an input")
    if formula is not None and specs is not None and constants_ok:
        declared = input_names | constants.keys()
        for name in sorted(formula.names - declared):
            reader.add(
                "tariff.expression", f"name {name!r} is neither a declared input nor a constant"
            )
        for name in sorted(declared - formula.names):
            where = "inputs" if name in input_names else f"constants.{name}"
            reader.add(f"tariff.{where}", f"{name!r} is declared but the formula does not use it")
    if len(reader.problems) > before:
        return None
    assert formula is not None
    assert specs is not None
    tariff = FormulaTariff(formula, tuple(constants.items()), tuple(specs))
    _try_corners(reader, tariff)
    return None if len(reader.problems) > before else tariff


def _try_corners(reader: _Reader, tariff: FormulaTariff) -> None:
    """Evaluate at the all-minimum and all-maximum inputs: catches division by zero and
    negative amounts that any petugas could trigger (a check, not a proof)."""
    for corner, pick in (("minimum", "minimum"), ("maximum", "maximum")):
        values = {spec.name: getattr(spec, pick) for spec in tariff.declared}
        try:
            result = tariff.evaluate(values)
        except FormulaError as exc:
            reader.add("tariff.expression", f"fails with every input at its {corner}: {exc}")
            continue
        if result < 0:
            reader.add(
                "tariff.expression",
                f"expected an amount ≥ 0 with every input at its {corner}, found {_num(result)}",
            )


# ------------------------------------------------------------------ files


def parse_toml(text: str) -> ScheduleVersion:
    """Read a TOML schedule document; raises :class:`ScheduleValidationError`."""
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:  # RecursionError: deep nesting
        raise ScheduleValidationError([Problem(None, "(toml)", f"not valid TOML: {exc}")]) from exc
    return version_from_mapping(data)


def parse_json(data: bytes) -> ScheduleVersion:
    """Read a JSON schedule document (duplicate keys and floats rejected)."""
    try:
        value = parse_json_strict(data)
    except EncodingError as exc:
        raise ScheduleValidationError([Problem(None, "(json)", f"not valid JSON: {exc}")]) from exc
    return version_from_mapping(value)
