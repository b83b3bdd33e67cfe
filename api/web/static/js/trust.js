// The trust list (/.well-known/bukti/keys.json, docs/keys.md), cached in localStorage so a
// receipt can still be checked with a weak connection. A key id the cached copy lacks
// triggers one fresh fetch (the key may be newer than the cache).
import { fetchJson } from "./common.js";

const CACHE_KEY = "bukti.trust-list";
const FORMAT = "bukti-trust-list/1";
const MAX_AGE_MS = 24 * 3600 * 1000;

function wellFormed(doc) {
  return doc && doc.format === FORMAT && Array.isArray(doc.keys) &&
    doc.keys.every((k) => typeof k.public_key === "string" && typeof k.purpose === "string");
}

function cached() {
  try {
    const entry = JSON.parse(localStorage.getItem(CACHE_KEY) || "null");
    return entry && wellFormed(entry.doc) ? entry : null;
  } catch (e) {
    return null;
  }
}

async function fetchFresh() {
  const doc = await fetchJson("/.well-known/bukti/keys.json");
  if (!wellFormed(doc)) throw new Error("the trust list is not well formed");
  try {
    localStorage.setItem(CACHE_KEY, JSON.stringify({ fetched: Date.now(), doc }));
  } catch (e) {
    // Storage full or disabled: the list still serves this visit.
  }
  return doc;
}

/** The trust list; `{fresh: true}` skips the cache. Returns {doc, fromCache}. */
export async function loadTrustList({ fresh = false } = {}) {
  const entry = fresh ? null : cached();
  if (entry && Date.now() - entry.fetched < MAX_AGE_MS) return { doc: entry.doc, fromCache: true };
  try {
    return { doc: await fetchFresh(), fromCache: false };
  } catch (e) {
    const stale = cached();
    if (stale) return { doc: stale.doc, fromCache: true };
    throw e;
  }
}
