// Small helpers shared by the pages: page data, strings, rupiah and WIB display, JSON calls.

let pageData = null;

/** The JSON data block the server renders into the page (never executed as script). */
export function data() {
  if (pageData === null) {
    const node = document.getElementById("page-data");
    pageData = node ? JSON.parse(node.textContent) : { strings: {} };
  }
  return pageData;
}

/** The page's string `key` in the page language, with `{name}` placeholders filled. */
export function t(key, values = {}) {
  const template = data().strings[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

/** `Rp1.500.000`: dots group thousands, no sen. */
export function rupiah(amount) {
  const digits = String(Math.abs(amount)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return (amount < 0 ? "-" : "") + "Rp" + digits;
}

const MONTHS = {
  id: ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
    "September", "Oktober", "November", "Desember"],
  en: ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"],
};

/** UTC seconds shown in WIB (UTC+7, no daylight saving): `29 November 2026 12:34 WIB`. */
export function wib(seconds) {
  const d = new Date((seconds + 7 * 3600) * 1000);
  const months = MONTHS[document.documentElement.lang] || MONTHS.id;
  const hh = String(d.getUTCHours()).padStart(2, "0");
  const mm = String(d.getUTCMinutes()).padStart(2, "0");
  return `${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${hh}:${mm} WIB`;
}

/** Build an element: el("p", {class: "x"}, "text", child, …). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

export class HttpError extends Error {
  constructor(status, problem) {
    const lang = document.documentElement.lang;
    const detail = problem && (lang === "en" ? problem.detail_en || problem.detail
      : problem.detail || problem.detail_en);
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The page's CSRF token (pages with staff forms carry it in a meta tag), or null. */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : null;
}

/** fetch JSON; a non-2xx answer throws HttpError carrying the RFC 9457 problem.
 *  Writes carry the page's CSRF token as X-CSRF-Token: the API refuses a write
 *  authenticated by the session cookie without it. */
export async function fetchJson(url, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  const method = (options.method || "GET").toUpperCase();
  const token = csrfToken();
  if (token && !SAFE_METHODS.has(method)) headers["X-CSRF-Token"] = token;
  const response = await fetch(url, {
    credentials: "same-origin",
    ...options,
    headers,
  });
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = null;
  }
  if (!response.ok) throw new HttpError(response.status, body);
  return body;
}
