"""Every string the pages use exists in both languages with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from api.web.i18n import STRINGS, Translator, choose_lang

WEB = Path(__file__).resolve().parents[2] / "api" / "web"
_TEMPLATE_KEY = re.compile(r"""\bt\(\s*["']([a-z_.\-]+)["']""")
_JS_KEY = re.compile(r"""\bt\(\s*"([a-z_.\-]+)"\s*[,)]""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_string_has_both_languages_with_same_placeholders(key: str) -> None:
    indonesian, english = STRINGS[key]
    assert indonesian.strip()
    assert english.strip()
    assert _placeholders(indonesian) == _placeholders(english)


def test_every_key_used_in_templates_exists() -> None:
    used = {
        key
        for path in (WEB / "templates").glob("*.html")
        for key in _TEMPLATE_KEY.findall(path.read_text(encoding="utf-8"))
    }
    assert used
    assert sorted(used - set(STRINGS)) == []


def test_every_key_used_in_scripts_exists() -> None:
    used = {
        key
        for path in (WEB / "static" / "js").glob("*.js")
        for key in _JS_KEY.findall(path.read_text(encoding="utf-8"))
    }
    assert "fees.result" in used
    assert sorted(used - set(STRINGS)) == []


def test_every_verification_failure_code_has_words() -> None:
    codes = [
        "unknown-key",
        "bad-signature",
        "malformed",
        "retired-key",
        "key-not-yet-valid",
        "issued-in-future",
        "fee-mismatch",
        "not-in-log",
        "bad-proof",
        "bad-checkpoint",
        "voided",
        "network",
        "log-unreachable",
    ]
    for code in codes:
        assert f"reason.{code}" in STRINGS


def test_language_choice_order() -> None:
    assert choose_lang(None, None) == "id"
    assert choose_lang("en", "id") == "en"
    assert choose_lang(None, "en") == "en"
    assert choose_lang("fr", None) == "id"


def test_translator_fills_placeholders_and_subsets() -> None:
    t = Translator("en")
    assert t("fees.count", n=3) == "3 services"
    subset = Translator("id").subset(["verdict."])
    assert subset["verdict.valid"] == "SAH"
    assert all(key.startswith("verdict.") for key in subset)


def test_every_string_is_used_somewhere() -> None:
    """No dead words: each key appears in a template, script or page module (or is built
    from a code: reasons, receipt kinds, categories and provenance labels)."""
    sources = "".join(
        path.read_text(encoding="utf-8")
        for path in WEB.rglob("*")
        if path.suffix in (".py", ".html", ".js") and path.name != "i18n.py"
    )
    dynamic = ("reason.", "kind.", "category.", "provenance.")
    unused = [
        key
        for key in STRINGS
        if not key.startswith(dynamic) and f'"{key}"' not in sources and f"'{key}'" not in sources
    ]
    assert unused == []
