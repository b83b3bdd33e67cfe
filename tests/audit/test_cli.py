"""``bukti audit`` and ``bukti export`` from the command line: outputs and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from api.cli import main
from audit.report import load_schema
from ledger.storage import AppendRequest
from tests.audit import tamper
from tests.audit.conftest import LogUnderTest
from tests.conftest import TEST_ORIGIN


@pytest.fixture
def environment(
    honest_log: LogUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> LogUnderTest:
    """The BUKTI_ settings of a server whose database is ``honest_log``."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "keys.json").write_bytes(honest_log.meta.trust_list)
    monkeypatch.setenv("BUKTI_DATA_DIR", str(data))
    monkeypatch.setenv("BUKTI_DATABASE_URL", honest_log.url)
    monkeypatch.setenv("BUKTI_ORIGIN", TEST_ORIGIN)
    return honest_log


@pytest.fixture
def bundle(environment: LogUnderTest, tmp_path: Path) -> Path:
    out = tmp_path / "export"
    assert main(["export", "--out", str(out)]) == 0
    return out


def test_export_command_writes_a_bundle(
    environment: LogUnderTest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "export-cli"
    assert main(["export", "--out", str(out)]) == 0
    assert (out / "manifest.json").is_file()
    printed = capsys.readouterr().out
    assert f"bukti audit --bundle {out}" in printed
    assert main(["export", "--out", str(out)]) == 2  # never overwrites a bundle


def test_audit_of_an_honest_bundle_exits_0(
    bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--bundle", str(bundle), "--workers", "0"]) == 0
    assert "INTEGRITY HOLDS" in capsys.readouterr().out


def test_audit_of_the_server_database_by_default(
    environment: LogUnderTest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--workers", "0"]) == 0
    out = capsys.readouterr().out
    assert "INTEGRITY HOLDS" in out
    assert "database sqlite" in out


def test_audit_of_a_tampered_database_exits_1(
    environment: LogUnderTest, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = environment.meta.receipts[7]
    tamper.delete_entry(environment.attacker(), seq)
    assert main(["audit", "--db", environment.url, "--workers", "0"]) == 1
    assert f"first bad entry: seq {seq} (missing)" in capsys.readouterr().out


def test_strict_counts_compliance_findings(bundle: Path) -> None:
    # The populated log records refused attempts on free services: compliance findings.
    assert main(["audit", "--bundle", str(bundle), "--workers", "0", "--strict"]) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "--bundle", "x", "--db", "sqlite:///y"],
        ["audit", "--workers", "-1"],
        ["audit", "--deposit-deadline-days", "many"],
        ["export"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_audit_that_cannot_run_exits_2(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--bundle", str(tmp_path / "nothing")]) == 2
    assert "manifest.json" in capsys.readouterr().err
    assert main(["audit", "--bundle", str(bundle), "--keys", str(tmp_path / "no.json")]) == 2
    assert main(["audit", "--bundle", str(bundle), "--office-hours", "9-5"]) == 2
    assert main(["audit", "--bundle", str(bundle), "--origin", "another/log"]) == 2
    (tmp_path / "bad.json").write_text('{"format": "nope"}')
    assert main(["audit", "--bundle", str(bundle), "--keys", str(tmp_path / "bad.json")]) == 2


def test_json_csv_and_pdf_outputs(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["audit", "--bundle", str(bundle), "--workers", "0", "--json", "-"]
    argv += ["--csv", str(tmp_path / "csv"), "--pdf", str(tmp_path / "report.pdf")]
    assert main(argv) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)  # stdout holds the JSON alone …
    jsonschema.validate(document, load_schema())
    assert "INTEGRITY HOLDS" in captured.err  # … and the summary goes to stderr
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "deposits.csv",
        "findings.csv",
        "reconciliation.csv",
    ]
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


def test_since_checkpoint_saves_and_detects_a_rewritten_history(
    environment: LogUnderTest, tmp_path: Path
) -> None:
    saved = tmp_path / "last-checkpoint"
    argv = ["audit", "--workers", "0", "--since-checkpoint", str(saved)]
    assert main(argv) == 0
    first = saved.read_bytes()
    assert first.startswith(TEST_ORIGIN.encode())
    store = environment.store()
    body = {"tracking_no": "ADU-NEXT", "paid_claimed": 0, "text_commitment": "2" * 64}
    store.append(AppendRequest("complaint.filed", environment.meta.clock_ms + 5, body))
    store.close()
    assert main(argv) == 0
    assert saved.read_bytes() != first  # the newer checkpoint is kept
    tamper.truncate(environment.attacker(), environment.meta.receipts[-4], keep_checkpoints=False)
    store = environment.store()
    for i in range(30):
        body = {"tracking_no": f"ADU-R{i}", "paid_claimed": 0, "text_commitment": "3" * 64}
        store.append(AppendRequest("complaint.filed", environment.meta.clock_ms + 10 + i, body))
    store.close()
    kept = saved.read_bytes()
    assert main(argv) == 1
    assert saved.read_bytes() == kept  # a broken log never replaces the saved checkpoint


def test_holidays_come_from_the_option_or_the_setting_and_are_reported(
    bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    listed = tmp_path / "libur.txt"
    listed.write_text("# libur nasional\n2025-01-01 Tahun Baru\n2025-03-31 Idul Fitri\n")
    argv = ["audit", "--bundle", str(bundle), "--workers", "0", "--json", "-"]
    assert main([*argv, "--holidays", str(listed)]) == 0
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, load_schema())
    assert document["scope"]["options"]["holidays"] == ["2025-01-01", "2025-03-31"]

    setting = tmp_path / "setting.txt"
    setting.write_text("2025-12-25 Natal\n")
    monkeypatch.setenv("BUKTI_HOLIDAYS_FILE", str(setting))
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["scope"]["options"]["holidays"] == ["2025-12-25"]
    assert main([*argv, "--holidays", str(listed)]) == 0  # the option wins over the setting
    assert len(json.loads(capsys.readouterr().out)["scope"]["options"]["holidays"]) == 2


def test_an_unusable_holiday_list_is_a_usage_error(
    bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("2025-01-01\n31-12-2025 Malam Tahun Baru\n")
    argv = ["audit", "--bundle", str(bundle), "--workers", "0"]
    assert main([*argv, "--holidays", str(bad)]) == 2
    assert "holiday list line 2: expected a date YYYY-MM-DD" in capsys.readouterr().err
    assert main([*argv, "--holidays", str(tmp_path / "missing.txt")]) == 2
    assert "cannot read the holiday list" in capsys.readouterr().err
    monkeypatch.setenv("BUKTI_HOLIDAYS_FILE", str(bad))
    assert main(argv) == 2  # a deployment setting that cannot be used stops every command
    err = capsys.readouterr().err
    assert "BUKTI_HOLIDAYS_FILE" in err
    assert "line 2" in err
    assert "Traceback" not in err
