"""``bukti verify``: inputs, trust anchors, output and exit status (0 valid, 1 invalid, 2 usage)."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.commands import verify as verify_command
from receipts import PaperLayout, ReceiptRenderModel, receipt_url, render_pdf

from .support import LEGAL_BASIS, OFFICE_NAME, PUBLIC_URL, SERVICE_NAME


class _Io:
    def __init__(self, data: bytes = b"") -> None:
        self.buffer = io.BytesIO(data)


def _run(
    argv: list[str],
    *,
    now_ms: int,
    transport: httpx.BaseTransport | None = None,
    stdin: bytes = b"",
) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="bukti")
    verify_command.register(parser.add_subparsers())
    args = parser.parse_args(["verify", *argv])
    out, err = io.StringIO(), io.StringIO()
    status = verify_command.run(
        args, transport=transport, now_ms=lambda: now_ms, stdin=_Io(stdin), out=out, err=err
    )
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def keys_file(tmp_path: Path, vectors: dict[str, Any]) -> Path:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(vectors["trust_list"]))
    return path


def _vector(vectors: dict[str, Any], group: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(v for v in vectors[group] if v["name"] == name)
    return found


def test_valid_link_prints_the_facts(
    vectors: dict[str, Any], keys_file: Path, check_time_ms: int
) -> None:
    vector = _vector(vectors, "valid", "normal")
    status, out, err = _run([vector["url"], "--keys", str(keys_file)], now_ms=check_time_ms)
    assert status == 0, err
    assert out.startswith("VALID receipt 32.16.20-DLH/L01/2026/004821")
    for expected in [
        "RJU-SMP-02 (schedule 2026.1)",
        "official fee:   Rp15.000",
        "amount charged: Rp15.000",
        "29 November 2026 12:34 WIB",
        "office 32.16.20-DLH, counter L01",
        vector["short_code"],
    ]:
        assert expected in out


def test_invalid_receipt_prints_the_reason_and_exits_1(
    vectors: dict[str, Any], keys_file: Path, check_time_ms: int
) -> None:
    vector = _vector(vectors, "invalid", "fee-overcharge")
    url = receipt_url(PUBLIC_URL, bytes.fromhex(vector["cose_hex"]))
    status, out, _ = _run([url, "--keys", str(keys_file)], now_ms=check_time_ms)
    assert status == 1
    assert out.startswith("INVALID receipt (fee-mismatch): ")
    assert "charges 20000 rupiah; the official fee is 15000 rupiah" in out


def test_pdf_file_and_stdin_inputs(
    tmp_path: Path, vectors: dict[str, Any], keys_file: Path, check_time_ms: int
) -> None:
    cose = bytes.fromhex(_vector(vectors, "valid", "waiver")["cose_hex"])
    model = ReceiptRenderModel.from_receipt(
        cose,
        public_url=PUBLIC_URL,
        office_name=OFFICE_NAME,
        service_name=SERVICE_NAME,
        legal_basis=LEGAL_BASIS,
        tariff_unverified=True,
    )
    pdf = tmp_path / "kuitansi.pdf"
    pdf.write_bytes(render_pdf(model, PaperLayout.THERMAL80))
    status, out, _ = _run([str(pdf), "--keys", str(keys_file)], now_ms=check_time_ms)
    assert status == 0
    assert "waiver:         SK-KERINGANAN/2026/017" in out
    status, out, _ = _run(["-", "--keys", str(keys_file)], now_ms=check_time_ms, stdin=cose)
    assert status == 0


def test_trust_list_from_a_server(vectors: dict[str, Any], check_time_ms: int) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=vectors["trust_list"])

    vector = _vector(vectors, "valid", "closing")
    status, out, _ = _run(
        [vector["base32"], "--server", "https://bekasikab.go.id/bukti/"],
        now_ms=check_time_ms,
        transport=httpx.MockTransport(handler),
    )
    assert status == 0
    assert "kind:           closing" in out
    assert seen == ["https://bekasikab.go.id/bukti/.well-known/bukti/keys.json"]


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(404), "HTTP 404"),
        (httpx.Response(200, content=b'{"format": "x"}'), "not valid"),
    ],
)
def test_server_problems_are_usage_errors(
    vectors: dict[str, Any], check_time_ms: int, response: httpx.Response, message: str
) -> None:
    status, out, err = _run(
        [_vector(vectors, "valid", "normal")["url"], "--server", "https://example.invalid"],
        now_ms=check_time_ms,
        transport=httpx.MockTransport(lambda request: response),
    )
    assert (status, out) == (2, "")
    assert message in err


def test_unreachable_server_is_a_usage_error(vectors: dict[str, Any], check_time_ms: int) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    status, _, err = _run(
        [_vector(vectors, "valid", "normal")["url"], "--server", "https://example.invalid"],
        now_ms=check_time_ms,
        transport=httpx.MockTransport(refuse),
    )
    assert status == 2
    assert "cannot fetch" in err


def test_default_trust_list_is_in_the_data_directory(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    vectors: dict[str, Any],
    check_time_ms: int,
) -> None:
    monkeypatch.setenv("BUKTI_DATA_DIR", str(tmp_path))
    url = _vector(vectors, "valid", "normal")["url"]
    status, _, err = _run([url], now_ms=check_time_ms)
    assert status == 2
    assert str(tmp_path / "keys.json") in err
    (tmp_path / "keys.json").write_text(json.dumps(vectors["trust_list"]))
    assert _run([url], now_ms=check_time_ms)[0] == 0


def test_unreadable_input_is_a_usage_error(keys_file: Path, check_time_ms: int) -> None:
    status, _, err = _run(["no-such-file.pdf", "--keys", str(keys_file)], now_ms=check_time_ms)
    assert status == 2
    assert "neither a receipt link or code nor a readable file" in err


def test_both_trust_sources_is_an_argparse_usage_error(keys_file: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        _run(["x", "--keys", str(keys_file), "--server", "https://x"], now_ms=0)
    assert caught.value.code == 2
