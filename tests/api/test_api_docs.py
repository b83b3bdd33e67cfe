"""The API documentation keeps up with the code."""

from __future__ import annotations

from pathlib import Path

from api.problems import PROBLEM_TYPES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_every_problem_type_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [slug for slug in PROBLEM_TYPES if f"`{slug}`" not in text]
    assert not missing, f"problem types missing from docs/api.md: {missing}"
