// Counter page: picking a service from the list submits the form at once, so a petugas
// types a few letters, moves with the arrow keys and presses Enter — no mouse needed.
const form = document.getElementById("service-form");
const input = document.getElementById("service");
const list = document.getElementById("service-list");
if (form && input && list) {
  const values = new Set(Array.from(list.options, (o) => o.value));
  input.addEventListener("change", () => {
    if (values.has(input.value)) form.requestSubmit();
  });
}
const counter = document.getElementById("counter");
if (form && counter) counter.addEventListener("change", () => form.requestSubmit());
const refusal = document.getElementById("refusal");
if (refusal) refusal.focus();
