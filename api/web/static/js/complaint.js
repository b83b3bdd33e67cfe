// "Laporkan pungli": a short complaint about a receipt, sent to POST /api/v1/complaints.
// The form is prefilled from the verified receipt; the resident says what they paid.
import { HttpError, fetchJson, rupiah, t } from "./common.js";

const $ = (id) => document.getElementById(id);

/** Offer the complaint form; `claims` is null when the receipt could not be read. */
export function setupComplaint(claims) {
  const button = $("report-button");
  const form = $("complaint-form");
  if (!button || !form) return;
  button.hidden = false;
  $("complaint-receipt").textContent = claims
    ? `${claims.number} — ${t("field.official_fee")} ${rupiah(claims.officialFee)}`
    : "—";
  if (claims) form.elements.paid.value = String(claims.charged);
  button.addEventListener("click", () => {
    form.hidden = false;
    button.setAttribute("aria-expanded", "true");
    form.elements.paid.focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("complaint-error");
    error.hidden = true;
    const paid = Number.parseInt(form.elements.paid.value.replace(/[^0-9]/g, ""), 10);
    if (!Number.isSafeInteger(paid) || paid < 0) {
      error.textContent = t("complaint.bad_amount");
      error.hidden = false;
      form.elements.paid.focus();
      return;
    }
    const body = { paid, text: form.elements.text.value.trim() };
    if (claims) body.receipt = claims.number;
    const contact = form.elements.contact.value.trim();
    if (contact) body.contact = contact;
    form.elements.send.disabled = true;
    try {
      const answer = await fetchJson("/api/v1/complaints", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      form.hidden = true;
      button.hidden = true;
      $("complaint-tracking").textContent = answer.tracking_no;
      $("complaint-done").hidden = false;
      $("complaint-done").focus();
    } catch (e) {
      error.textContent = e instanceof HttpError ? e.message : t("complaint.network");
      error.hidden = false;
    } finally {
      form.elements.send.disabled = false;
    }
  });
}
