"""Every page on a 360 px phone: no horizontal scrolling, and an accessibility smoke check."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import LiveServer
from tests.browser.test_counter_and_fees import sign_in_with_keyboard
from tests.browser.test_verify_page import issue

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

_A11Y_PROBLEMS = """
() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("html has no lang");
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    const named = el.labels.length > 0 || el.getAttribute("aria-label") ||
      el.getAttribute("aria-labelledby");
    if (!named) problems.push(`unlabelled ${el.tagName.toLowerCase()} ${el.name || el.id}`);
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(`img without alt: ${img.src}`);
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!el.textContent.trim() && !el.getAttribute("aria-label")) {
      problems.push(`${el.tagName.toLowerCase()} without a name`);
    }
  }
  const ids = Array.from(document.querySelectorAll("[id]"), (el) => el.id);
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (dupes.length) problems.push(`duplicate ids: ${dupes}`);
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  return problems;
}
"""

PUBLIC = [
    "/",
    "/v",
    "/v?lang=en",
    "/tarif",
    "/tarif/RPT-PBG-01?LLt=235&It=0.773&Ibg=1",
    "/tarif/BBS-DKP-01",
    "/tarif/poster/32.16.20-DLH",
    "/transparansi",
    "/loket",
]


def check_page(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} scrolls sideways: {width} px"
    assert page.evaluate(_A11Y_PROBLEMS) == [], page.url


@pytest.mark.parametrize("path", PUBLIC)
def test_public_page_fits_a_phone_and_is_labelled(
    page: Page, live_server: LiveServer, path: str
) -> None:
    page.goto(live_server.url + path)
    check_page(page)


def test_verify_result_and_complaint_form_fit_a_phone(
    page: Page, live_server: LiveServer, api_token: str
) -> None:
    receipt = issue(live_server, api_token, "RPT-PBG-02", {"V": "120", "I": "1"})
    page.goto(receipt["qr_url"])
    page.wait_for_selector("body[data-done='1']")
    page.get_by_role("button", name="Laporkan pungli").click()
    check_page(page)


def test_counter_pages_fit_a_phone(page: Page, live_server: LiveServer) -> None:
    sign_in_with_keyboard(page, live_server, "loket.dlh", "demo-loket-2024")
    check_page(page)
    page.goto(f"{live_server.url}/loket?counter=L01&service=RJU-SMP-01&in.bulan=12")
    check_page(page)
    page.get_by_role("button", name="Terbitkan kuitansi").click()
    page.wait_for_url("**/loket/kuitansi/*")
    check_page(page)


def test_inspectorate_dashboard_fits_a_phone(page: Page, live_server: LiveServer) -> None:
    sign_in_with_keyboard(page, live_server, "inspektur", "demo-inspektur-2024", "/inspektorat")
    assert page.get_by_role("heading", level=1).inner_text() == "Dasbor Inspektorat"
    check_page(page)
