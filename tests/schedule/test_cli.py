"""``bukti schedule validate|show|publish`` and ``bukti quote``."""

import sys
import types
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from api.cli import main
from ledger.schedule import RetroactiveScheduleError, default_schedule_text

BAD_TOML = """
format = 1
id = "uji-1"
title = "Uji"
legal_basis = "Perda Uji"
effective_from = "2024-01-01T00:00"

[[items]]
code = "UJI-A-01"
name = "A"
category = "jasa_umum"
unit = "x"
legal_ref = "Pasal 1"
provenance = "C"
tariff = { kind = "fixed", amount = -100 }

[[items]]
code = "UJI-A-01"
name = "B"
category = "jasa_umum"
unit = "x"
legal_ref = "Pasal 2"
provenance = "Q"
tariff = { kind = "formula", expression = "luas * k", inputs = [] }
"""


@pytest.fixture
def default_file(tmp_path: Path) -> Path:
    path = tmp_path / "jadwal.toml"
    path.write_text(default_schedule_text(), encoding="utf-8")
    return path


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "rusak.toml"
    path.write_text(BAD_TOML, encoding="utf-8")
    return path


def test_validate_valid_file(default_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "validate", str(default_file)]) == 0
    out = capsys.readouterr().out
    assert "bekasi-2024.1" in out
    assert "16 items, 10 not yet verified" in out
    assert "sha256 " in out


def test_validate_lists_every_problem(bad_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "validate", str(bad_file)]) == 1
    out = capsys.readouterr().out
    assert "UJI-A-01: tariff.amount: expected an amount of at least 0, found negative -100" in out
    assert "UJI-A-01: code: duplicate code" in out
    assert "UJI-A-01: provenance:" in out
    assert "UJI-A-01: tariff.inputs:" in out
    assert "UJI-A-01: tariff.expression: name 'k'" in out


def test_validate_json_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "jadwal.json"
    path.write_bytes(b'{"format": 1, "format": 1}')
    assert main(["schedule", "validate", str(path)]) == 1
    assert "duplicate key" in capsys.readouterr().out


def test_validate_missing_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schedule", "validate", str(tmp_path / "tidak-ada.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_validate_without_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["schedule", "validate"])
    assert caught.value.code == 2
    assert "FILE" in capsys.readouterr().err


def test_schedule_without_action_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule"]) == 2
    assert "validate" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv", [["schedule", "--help"], ["schedule", "show", "--help"], ["quote", "--help"]]
)
def test_help_has_examples(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out
    assert "bukti " in out


def test_show_default_schedule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "show", "--at", "2024-06-01"]) == 0
    out = capsys.readouterr().out
    assert "RJU-SMP-01  Pelayanan persampahan/kebersihan – rumah kontrakan" in out
    assert "Rp11.000 per bulan" in out
    assert "BBS-DKP-06" in out
    assert "UU 24/2013 Pasal 79A" in out
    assert "rumus LLt * Ilo * SHST * It * Ibg" in out
    assert "Label asal angka: U" in out
    assert "belum diverifikasi terhadap Lampiran Perda 8/2023" in out
    assert "Retribusi Perizinan Tertentu" in out


def test_show_before_the_effective_time(
    default_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schedule", "show", "--file", str(default_file), "--at", "2023-12-31T23:59"]) == 1
    assert "takes effect" in capsys.readouterr().out


def test_show_bad_time_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "show", "--at", "kemarin"]) == 2
    assert "--at" in capsys.readouterr().err


def test_quote_pbg_known_answer(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["quote", "RPT-PBG-01", "LLt=235", "It=0.773", "Ibg=1.000", "--at", "2024-06-01T10:00"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Tarif resmi" in out
    assert "Rp6.176.270" in out
    assert "belum diverifikasi" in out


def test_quote_free_service(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quote", "BBS-DKP-04", "--at", "2024-06-01"]) == 0
    out = capsys.readouterr().out
    assert "Rp0" in out
    assert "GRATIS" in out


def test_quote_with_file(default_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["quote", "RJU-PSR-01", "hari=3", "--file", str(default_file), "--at", "2024-06-01"])
        == 0
    )
    assert "Rp9.000" in capsys.readouterr().out


def test_quote_invalid_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quote", "RJU-PSR-01", "hari=40", "--at", "2024-06-01"]) == 1
    out = capsys.readouterr().out
    assert "harus antara 1 hari dan 31 hari" in out
    assert "expected between 1 and 31, found 40" in out


def test_quote_unknown_service(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quote", "RJU-XXX-01", "--at", "2024-06-01"]) == 1
    assert "RJU-XXX-01" in capsys.readouterr().out


@pytest.mark.parametrize("pair", ["hari", "=3"])
def test_quote_malformed_pair_is_a_usage_error(
    pair: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["quote", "RJU-PSR-01", pair]) == 2
    assert "key=value" in capsys.readouterr().err


def test_quote_repeated_input_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quote", "RJU-PSR-01", "hari=1", "hari=2"]) == 2
    assert "twice" in capsys.readouterr().err


# ------------------------------------------------------------------ publish


@pytest.fixture
def fake_service(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Stands in for api.services.schedules (the storage-backed service)."""
    calls: list[tuple[Any, ...]] = []
    module = types.ModuleType("api.services.schedules")

    def publish_file(settings: object, path: Path, publisher: str) -> SimpleNamespace:
        calls.append((settings, path, publisher))
        if publisher == "late":
            raise RetroactiveScheduleError("expected an effective time after the latest log entry")
        return SimpleNamespace(
            version="bekasi-2024.1", sha256="ab" * 32, in_force_from=1_735_664_400_000
        )

    module.publish_file = publish_file  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "api.services.schedules", module)
    return calls


def test_publish_calls_the_service(
    default_file: Path, fake_service: list[tuple[Any, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schedule", "publish", str(default_file), "--publisher", "admin.bapenda"]) == 0
    ((_, path, publisher),) = fake_service
    assert path == default_file
    assert publisher == "admin.bapenda"
    out = capsys.readouterr().out
    assert "bekasi-2024.1" in out
    assert "in force from 2025-01-01 00:00 WIB" in out


def test_publish_refused_by_the_service(
    default_file: Path, fake_service: list[tuple[Any, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schedule", "publish", str(default_file), "--publisher", "late"]) == 1
    assert "DITOLAK" in capsys.readouterr().out


def test_publish_invalid_file_never_reaches_the_service(
    bad_file: Path, fake_service: list[tuple[Any, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schedule", "publish", str(bad_file), "--publisher", "admin"]) == 1
    assert fake_service == []
    assert "duplicate code" in capsys.readouterr().out


def test_publish_needs_a_publisher(default_file: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["schedule", "publish", str(default_file)])
    assert caught.value.code == 2
