"""The tariff formula language and its safe evaluator.

A formula is arithmetic over declared names, e.g. ``LLt * Ilo * SHST * It * Ibg``.
It is read by a tokenizer and a recursive-descent parser written here; nothing is
ever handed to Python's ``eval``, ``exec`` or ``compile``. Grammar::

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("+" | "-") unary | primary
    primary    := NUMBER | NAME | FUNCTION "(" expression ("," expression)* ")"
                | "(" expression ")"
    NUMBER     := digits ["." digits]            (at most 6 digits after the point)
    NAME       := letter (letter | digit | "_")*
    FUNCTION   := "min" | "max" | "round" | "floor" | "ceil"

``min``/``max`` take two or more arguments; ``round`` (halves upwards), ``floor`` and
``ceil`` take one and give a whole number. There is no power operator, no attribute
access, no indexing, no other call, no comparison and no loop. A formula is at most
:data:`MAX_FORMULA_LENGTH` characters and nests at most :data:`MAX_NESTING_DEPTH` levels.
All arithmetic is exact (:class:`fractions.Fraction`).
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from ledger.schedule.amounts import parse_decimal, round_half_up
from ledger.schedule.errors import (
    FormulaEvaluationError,
    FormulaLimitError,
    FormulaSyntaxError,
)

__all__ = [
    "FUNCTIONS",
    "MAX_FORMULA_LENGTH",
    "MAX_NESTING_DEPTH",
    "Formula",
    "compile_formula",
]

MAX_FORMULA_LENGTH = 500
MAX_NESTING_DEPTH = 16

#: Allowed functions and their (fewest, most) argument counts; ``None`` means no upper limit.
FUNCTIONS: Mapping[str, tuple[int, int | None]] = {
    "min": (2, None),
    "max": (2, None),
    "round": (1, 1),
    "floor": (1, 1),
    "ceil": (1, 1),
}

_ALLOWED = "numbers, declared names, + - * / ( ) , and the functions " + ", ".join(
    sorted(FUNCTIONS)
)

# ---------------------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "number", "name", "op", "(", ")", ",", "end"
    text: str
    column: int


_TOKEN_RE = re.compile(
    r"(?P<space>[ \t\r\n]+)"
    r"|(?P<number>[0-9]+(?:\.[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<power>\*\*)"
    r"|(?P<op>[-+*/])"
    r"|(?P<punct>[(),])"
)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        column = pos + 1
        if match is None:
            char = text[pos]
            if char == ".":
                raise FormulaSyntaxError(
                    "found '.': attribute access is not allowed (decimals are written 0.5)",
                    column,
                )
            if char == "^":
                raise FormulaSyntaxError(
                    "found '^': powers are not allowed; write the multiplication out", column
                )
            raise FormulaSyntaxError(f"found {char!r}; expected {_ALLOWED}", column)
        kind = match.lastgroup
        value = match.group()
        pos = match.end()
        if kind == "space":
            continue
        if kind == "power":
            raise FormulaSyntaxError(
                "found '**': powers are not allowed; write the multiplication out", column
            )
        if kind == "name":
            if value.startswith("_"):
                raise FormulaSyntaxError(f"found {value!r}: names must start with a letter", column)
            if keyword.iskeyword(value) or keyword.issoftkeyword(value):
                raise FormulaSyntaxError(
                    f"found the keyword {value!r}: only arithmetic is allowed", column
                )
        if kind == "punct":
            kind = value
        assert kind is not None
        tokens.append(_Token(kind, value, column))
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


# ---------------------------------------------------------------------------- tree


@dataclass(frozen=True, slots=True)
class _Number:
    value: Fraction


@dataclass(frozen=True, slots=True)
class _Name:
    name: str


@dataclass(frozen=True, slots=True)
class _Negate:
    operand: _Node


@dataclass(frozen=True, slots=True)
class _Chain:
    """``first op1 x1 op2 x2 …`` of one precedence level, evaluated left to right."""

    first: _Node
    rest: tuple[tuple[str, _Node], ...]


@dataclass(frozen=True, slots=True)
class _Call:
    function: str
    args: tuple[_Node, ...]


_Node = _Number | _Name | _Negate | _Chain | _Call


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self._tokens = tokens
        self._index = 0
        self.names: set[str] = set()

    @property
    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _take(self) -> _Token:
        token = self._tokens[self._index]
        self._index += 1
        return token

    @staticmethod
    def _describe(token: _Token) -> str:
        return "the end of the formula" if token.kind == "end" else repr(token.text)

    def _expect(self, kind: str, what: str) -> _Token:
        token = self._take()
        if token.kind != kind:
            raise FormulaSyntaxError(
                f"expected {what}, found {self._describe(token)}", token.column
            )
        return token

    def parse(self) -> _Node:
        node = self._expression(0)
        token = self._peek
        if token.kind != "end":
            raise FormulaSyntaxError(
                f"expected an operator (+ - * /) or the end, found {self._describe(token)}",
                token.column,
            )
        return node

    def _deeper(self, depth: int, token: _Token) -> int:
        if depth + 1 > MAX_NESTING_DEPTH:
            raise FormulaLimitError(
                f"formula nests deeper than {MAX_NESTING_DEPTH} levels (at column {token.column})"
            )
        return depth + 1

    def _chain(self, depth: int, ops: str, operand: str) -> _Node:
        parse = self._term if operand == "term" else self._unary
        first = parse(depth)
        rest: list[tuple[str, _Node]] = []
        while self._peek.kind == "op" and self._peek.text in ops:
            op = self._take().text
            rest.append((op, parse(depth)))
        return _Chain(first, tuple(rest)) if rest else first

    def _expression(self, depth: int) -> _Node:
        return self._chain(depth, "+-", "term")

    def _term(self, depth: int) -> _Node:
        return self._chain(depth, "*/", "unary")

    def _unary(self, depth: int) -> _Node:
        token = self._peek
        if token.kind == "op" and token.text in "+-":
            self._take()
            operand = self._unary(self._deeper(depth, token))
            return _Negate(operand) if token.text == "-" else operand
        return self._primary(depth)

    def _primary(self, depth: int) -> _Node:
        token = self._take()
        if token.kind == "number":
            try:
                return _Number(parse_decimal(token.text))
            except ValueError as exc:
                raise FormulaSyntaxError(str(exc), token.column) from exc
        if token.kind == "(":
            node = self._expression(self._deeper(depth, token))
            self._expect(")", "')'")
            return node
        if token.kind == "name":
            if self._peek.kind == "(":
                return self._call(token, depth)
            if token.text in FUNCTIONS:
                raise FormulaSyntaxError(
                    f"{token.text!r} is a function; expected '(' after it", token.column
                )
            self.names.add(token.text)
            return _Name(token.text)
        raise FormulaSyntaxError(
            f"expected a number, a name or '(', found {self._describe(token)}", token.column
        )

    def _call(self, name: _Token, depth: int) -> _Node:
        if name.text not in FUNCTIONS:
            raise FormulaSyntaxError(
                f"unknown function {name.text!r}; allowed: {', '.join(sorted(FUNCTIONS))}",
                name.column,
            )
        inner = self._deeper(depth, name)
        self._take()  # "("
        args = [self._expression(inner)]
        while self._peek.kind == ",":
            self._take()
            args.append(self._expression(inner))
        self._expect(")", "',' or ')'")
        fewest, most = FUNCTIONS[name.text]
        if len(args) < fewest or (most is not None and len(args) > most):
            wanted = f"{fewest}" if most == fewest else f"at least {fewest}"
            raise FormulaSyntaxError(
                f"{name.text}() takes {wanted} argument(s), found {len(args)}", name.column
            )
        return _Call(name.text, tuple(args))


# ---------------------------------------------------------------------------- evaluation


def _evaluate(node: _Node, env: Mapping[str, Fraction]) -> Fraction:
    if isinstance(node, _Number):
        return node.value
    if isinstance(node, _Name):
        try:
            return env[node.name]
        except KeyError:
            raise FormulaEvaluationError(
                f"expected a value for {node.name!r}, found none"
            ) from None
    if isinstance(node, _Negate):
        return -_evaluate(node.operand, env)
    if isinstance(node, _Chain):
        value = _evaluate(node.first, env)
        for op, operand in node.rest:
            right = _evaluate(operand, env)
            if op == "+":
                value += right
            elif op == "-":
                value -= right
            elif op == "*":
                value *= right
            elif right == 0:
                raise FormulaEvaluationError("division by zero")
            else:
                value /= right
        return value
    args = [_evaluate(arg, env) for arg in node.args]
    if node.function == "min":
        return min(args)
    if node.function == "max":
        return max(args)
    if node.function == "round":
        return Fraction(round_half_up(args[0]))
    if node.function == "floor":
        return Fraction(math.floor(args[0]))
    return Fraction(math.ceil(args[0]))


@dataclass(frozen=True, slots=True)
class Formula:
    """A parsed formula. ``names`` are the names it refers to (functions excluded)."""

    text: str
    names: frozenset[str]
    _tree: _Node

    def evaluate(self, env: Mapping[str, Fraction]) -> Fraction:
        """Exact value for the given name values.

        Raises :class:`FormulaEvaluationError` on division by zero or a missing value.
        """
        return _evaluate(self._tree, env)


def compile_formula(text: str) -> Formula:
    """Parse ``text`` into a :class:`Formula`; nothing in it is executed.

    Raises :class:`FormulaLimitError` if it is too long or nested too deeply and
    :class:`FormulaSyntaxError` (with the column) for anything outside the grammar.
    """
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaLimitError(
            f"formula is {len(text)} characters; at most {MAX_FORMULA_LENGTH} are allowed"
        )
    if not text.strip():
        raise FormulaSyntaxError("expected an arithmetic expression, found an empty formula")
    parser = _Parser(_tokenize(text))
    tree = parser.parse()
    return Formula(text=text, names=frozenset(parser.names), _tree=tree)
