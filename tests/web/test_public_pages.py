"""Public pages rendered by the server: verify page shell, fees, posters, transparency."""

from __future__ import annotations

import csv
import io
import re

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from tests.web.support import DLH

PUBLIC_PAGES = ["/", "/v", "/tarif", "/tarif/RPT-PBG-01", f"/tarif/poster/{DLH}", "/transparansi"]
_SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_renders_with_lang_and_strict_csp(reader: TestClient, path: str) -> None:
    response = reader.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="id">' in response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    # No inline script: every <script> either loads a file or is a JSON data block.
    for attributes in _SCRIPT.findall(response.text):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes


def test_english_on_request_and_remembered_by_cookie(reader: TestClient) -> None:
    english = reader.get("/tarif?lang=en")
    assert '<html lang="en">' in english.text
    assert "Official fees" in english.text
    assert english.cookies.get("bukti_lang") == "en"
    again = reader.get("/tarif")
    assert '<html lang="en">' in again.text
    back = reader.get("/tarif?lang=id")
    assert '<html lang="id">' in back.text
    assert "Tarif resmi" in back.text


def _visible_codes(html: str) -> list[str]:
    return re.findall(r'<li class="fee" id="([A-Z0-9-]+)"[^>]*?(?<!hidden)>', html)


def test_fee_search_finds_by_words_and_code(reader: TestClient) -> None:
    page = reader.get("/tarif", params={"q": "ktp el"}).text
    assert _visible_codes(page) == ["BBS-DKP-01"]
    assert "1 layanan" in page
    by_code = reader.get("/tarif", params={"q": "rju-pkr"}).text
    assert _visible_codes(by_code) == ["RJU-PKR-01", "RJU-PKR-02", "RJU-PKR-03"]
    nothing = reader.get("/tarif", params={"q": "helikopter"}).text
    assert _visible_codes(nothing) == []
    assert "Tidak ada layanan yang cocok" in nothing


def test_free_service_is_marked_free_by_law(reader: TestClient) -> None:
    page = reader.get("/tarif/BBS-DKP-01").text
    assert "GRATIS — dilarang dipungut biaya" in page
    assert "UU 24/2013" in page


def test_unverified_tariff_carries_the_warning(reader: TestClient) -> None:
    page = reader.get("/tarif/RJU-PKR-01").text
    assert "belum diverifikasi terhadap Lampiran Perda 8/2023" in page
    assert "Rp2.000" in page
    assert "U — belum terkonfirmasi" in page


def test_formula_calculator_known_answer_without_javascript(reader: TestClient) -> None:
    page = reader.get(
        "/tarif/RPT-PBG-01",
        params={"LLt": "235", "It": "0.773", "Ibg": "1"},
    ).text
    assert "Tarif resmi: Rp6.176.270" in page


def test_calculator_reports_an_input_out_of_bounds(reader: TestClient) -> None:
    page = reader.get("/tarif/RJU-SMP-01", params={"bulan": "99"}).text
    assert 'class="notice notice-bad"' in page
    assert "Tarif resmi: Rp" not in page


def test_unknown_service_is_404(reader: TestClient) -> None:
    assert reader.get("/tarif/NOPE-01").status_code == 404


def test_poster_qr_decodes_to_the_fee_page(reader: TestClient) -> None:
    page = reader.get(f"/tarif/poster/{DLH}").text
    assert "Dinas Lingkungan Hidup" in page
    assert 'alt="Kode QR menuju halaman tarif resmi"' in page
    png = reader.get(f"/tarif/poster/{DLH}/qr.png")
    assert png.headers["content-type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert [d.text for d in decoded] == ["http://testserver/tarif"]
    assert reader.get("/tarif/poster/32.16.99-NOPE").status_code == 404


def test_transparency_csv_matches_page_and_names_no_one(reader: TestClient) -> None:
    response = reader.get("/transparansi.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["office", "office_name", "month"]
    assert "receipts" in rows[0]
    assert "deposits_late" in rows[0]
    page = reader.get("/transparansi").text
    assert "bekasikab.go.id/bukti" in page  # the signed checkpoint is shown


def test_static_files_are_versioned_and_contained(reader: TestClient) -> None:
    page = reader.get("/v").text
    css = re.search(r'href="(/static/bukti\.css\?v=[0-9a-f]+)"', page)
    assert css
    response = reader.get(css.group(1))
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert reader.get("/static/bukti.css").headers["cache-control"] == "public, max-age=300"
    assert reader.get("/static/js/verify.js").headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize(
    "path", ["/static/../app.py", "/static/%2e%2e/settings.py", "/static/nope.js"]
)
def test_attack_static_path_traversal_finds_nothing(reader: TestClient, path: str) -> None:
    response = reader.get(path)
    assert response.status_code == 404
    assert b"BaseSettings" not in response.content
