"""The counter page driven with the keyboard alone, and the fee lookup with its calculator."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def sign_in_with_keyboard(
    page: Page, server: LiveServer, user: str, password: str, path: str = "/loket"
) -> None:
    page.goto(server.url + path)
    page.wait_for_function("document.activeElement.id === 'username'")  # autofocus
    page.keyboard.type(user)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Keluar")


def test_counter_issues_and_prints_a_receipt_with_the_keyboard_only(
    page: Page, live_server: LiveServer
) -> None:
    sign_in_with_keyboard(page, live_server, "loket.dlh", "demo-loket-2024")
    # The service field has the focus: a few characters and Enter.
    page.keyboard.type("RJU-SMP-02")
    page.keyboard.press("Enter")
    page.wait_for_selector("#inputs-form")
    # The first input has the focus: replace the default with 3 months, Enter.
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    page.wait_for_selector("#official-fee")
    assert page.locator("#official-fee").inner_text() == "Tarif resmi: Rp45.000"
    assert "Perda Kab. Bekasi 8/2023" in page.locator("#fee-heading + p + p").inner_text()
    # The amount field now has the focus, filled with the official fee: Enter issues.
    page.keyboard.press("Enter")
    page.wait_for_url("**/loket/kuitansi/*")
    assert "Rp45.000" in page.locator("dl.details").inner_text()
    # From "next service" (focused), Shift+Tab reaches "print A4"; Enter opens the PDF.
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "print-a4"
    with page.context.expect_event("response", lambda r: ".pdf?layout=a4" in r.url) as pdf:
        page.keyboard.press("Enter")
    response = pdf.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"


def test_counter_sees_a_refusal_in_words(page: Page, live_server: LiveServer) -> None:
    sign_in_with_keyboard(page, live_server, "loket.dlh", "demo-loket-2024")
    page.keyboard.type("BBS-DKP-02")
    page.keyboard.press("Enter")
    page.wait_for_selector("#issue-form")
    page.get_by_label("Jumlah yang dibayar warga").fill("25000")
    page.get_by_role("button", name="Terbitkan kuitansi").click()
    refusal = page.locator("#refusal")
    refusal.wait_for()
    assert "Pungutan ditolak" in refusal.inner_text()
    assert "Pasal 79A" in refusal.inner_text()
    assert "tercatat di buku besar" in refusal.inner_text()


def test_fee_search_as_you_type(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/tarif")
    page.get_by_role("searchbox", name="Cari layanan").type("akta")
    visible = page.locator("#fee-list > li:visible")
    assert visible.count() == 2
    assert "2 layanan" in page.locator("#fee-count").inner_text()
    page.get_by_role("searchbox", name="Cari layanan").fill("zzz")
    page.get_by_role("searchbox", name="Cari layanan").type("z")
    assert page.locator("#fee-list > li:visible").count() == 0
    assert page.locator("#fee-none").is_visible()


def test_formula_calculator_in_the_page(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/tarif/RPT-PBG-01")
    values = {"LLt": "235", "It": "0,773", "Ibg": "1"}  # a decimal comma is read as a point
    for name, value in values.items():
        page.locator(f"#in-{name}").fill(value)
    with page.expect_response(lambda r: "/api/v1/quote?" in r.url) as quote:
        page.get_by_role("button", name="Hitung").click()
    assert quote.value.status == 200
    result = page.locator("#quote-result .quote")
    result.wait_for()
    assert result.inner_text() == "Tarif resmi: Rp6.176.270"
    assert page.url.endswith("/tarif/RPT-PBG-01")  # answered in place, no reload
