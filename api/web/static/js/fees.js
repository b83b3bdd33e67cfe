// Fee pages: filter the list as the reader types, and compute a fee with /api/v1/quote
// without leaving the page. Without JavaScript both still work as plain GET forms.
import { HttpError, el, fetchJson, rupiah, t } from "./common.js";

function fold(text) {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, " ").trim();
}

function setupSearch() {
  const input = document.getElementById("fee-search");
  const list = document.getElementById("fee-list");
  if (!input || !list) return;
  const items = Array.from(list.children);
  const count = document.getElementById("fee-count");
  const none = document.getElementById("fee-none");
  input.addEventListener("input", () => {
    const words = fold(input.value).split(" ").filter(Boolean);
    let shown = 0;
    for (const item of items) {
      const haystack = fold(item.dataset.search + " " + item.dataset.search.replace(/-/g, ""));
      const match = words.every((w) => haystack.includes(w));
      item.hidden = !match;
      if (match) shown++;
    }
    count.textContent = t("fees.count", { n: shown });
    none.hidden = shown !== 0;
  });
}

function setupCalculator() {
  const form = document.getElementById("calculator");
  const out = document.getElementById("quote-result");
  if (!form || !out) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const params = new URLSearchParams({ service: form.dataset.service });
    for (const input of form.querySelectorAll("input[id^='in-']")) {
      params.append(input.name, input.value.trim().replace(",", "."));
    }
    out.replaceChildren(el("p", {}, t("verdict.checking")));
    try {
      const quote = await fetchJson("/api/v1/quote?" + params.toString());
      const rows = quote.breakdown.map((line) =>
        el("tr", {}, el("th", { scope: "row" }, line.label), el("td", { class: "num" }, line.value)));
      out.replaceChildren(
        el("p", { class: "quote" }, t("fees.result", { fee: rupiah(quote.official_fee) })),
        el("h3", {}, t("fees.breakdown")),
        el("table", {}, el("tbody", {}, ...rows)),
      );
    } catch (e) {
      const message = e instanceof HttpError ? e.message : t("error.unavailable");
      out.replaceChildren(el("p", { class: "notice notice-bad", role: "alert" }, message));
    }
  });
}

setupSearch();
setupCalculator();
