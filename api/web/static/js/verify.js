// The verify page (/v): the receipt travels in the URL fragment, which the browser never
// sends to a server. Steps (DESIGN §3 Verification): signature with a trusted key →
// claims → status from the log (issued / voided) → inclusion proof against a signed
// checkpoint. Only the ledger index (seq) is ever sent to the server — except where the
// browser lacks Ed25519: then the payload goes to POST /api/v1/verify and the page says so.
import { MalformedReceipt } from "./cbor.js";
import { HttpError, data, el, fetchJson, rupiah, t, wib } from "./common.js";
import { LogProofError, openCheckpoint, verifyInclusion } from "./log.js";
import { NoEd25519, VerificationError, base64ToBytes, decodeClaims, equalBytes, parseSign1,
  payloadFromFragment, verifyReceipt } from "./receipt.js";
import { loadTrustList } from "./trust.js";
import { setupComplaint } from "./complaint.js";

const $ = (id) => document.getElementById(id);

/** A SHA-256 hash from the status answer (64 hex digits, docs/api.md). */
function hashBytes(text) {
  if (!/^[0-9a-f]{64}$/i.test(text)) throw new LogProofError("bad-proof", "not a hex hash");
  return Uint8Array.from(text.match(/../g), (h) => parseInt(h, 16));
}

function showVerdict(state, title, reason) {
  const box = $("verdict");
  box.className = "verdict verdict-" + state;
  $("verdict-title").textContent = title;
  $("verdict-reason").textContent = reason || "";
  box.focus();
}

function reasonText(code) {
  const key = code.startsWith("malformed.") ? "reason.malformed" : "reason." + code;
  return data().strings[key] ? t(key) : t("reason.invalid");
}

function fail(code) {
  showVerdict("invalid", t("verdict.invalid"), reasonText(code));
  document.body.dataset.verdict = code;
}

function row(label, value, extra = {}) {
  return el("div", extra, el("dt", {}, label), el("dd", {}, value));
}

function renderClaims(claims) {
  const services = data().services || {};
  const offices = data().offices || {};
  const service = services[claims.service];
  const office = offices[claims.office];
  const officeName = office ? office.name : claims.office;
  const counterName = office && office.counters && office.counters[claims.counter];
  const list = $("details");
  const rows = [
    row(t("field.service"), service ? `${service.name} (${claims.service})` : claims.service),
    row(t("field.official_fee"), rupiah(claims.officialFee), { class: "money" }),
    row(t("field.charged"), rupiah(claims.charged),
      { class: "money" + (claims.charged > claims.officialFee ? " over" : "") }),
    claims.waiver ? row(t("field.waiver"), claims.waiver) : null,
    row(t("field.time"), wib(claims.issuedAt)),
    row(t("field.office"), `${officeName} — ${counterName || t("field.counter")} ${claims.counter}`),
    row(t("field.number"), claims.number),
    claims.voidedNumber ? row(t("field.voided_number"), claims.voidedNumber) : null,
    row(t("field.kind"), t("kind." + claims.kind)),
  ];
  list.replaceChildren(...rows.filter((r) => r !== null));
  list.hidden = false;
  if (service && service.unverified) {
    $("warning").textContent = t("warning.unverified");
    $("warning").hidden = false;
  }
  if (service && service.free && claims.charged > 0) {
    $("warning").textContent = t("warning.free_charged");
    $("warning").hidden = false;
  }
}

/** Fallback where WebCrypto has no Ed25519: the server checks the signature. */
async function serverVerify(payloadText) {
  const result = await fetchJson("/api/v1/verify", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ input: payloadText }),
  });
  // The server checks the log too; here only its verdict on the receipt itself is used,
  // the log proof is still checked below.
  if (!result.valid && !LOG_CODES.has(result.code)) {
    throw new VerificationError(result.code || "invalid", result.message_en || "refused");
  }
}

const LOG_CODES = new Set(["voided", "not-in-log"]);

async function checkSignature(bytes, payloadText) {
  let trust = await loadTrustList();
  try {
    const verified = await verifyReceipt(bytes, trust.doc, Date.now());
    return { claims: verified.claims, trust: trust.doc, inBrowser: true };
  } catch (e) {
    if (e instanceof VerificationError && e.code === "unknown-key" && trust.fromCache) {
      trust = await loadTrustList({ fresh: true }); // a key newer than the cached list
      const verified = await verifyReceipt(bytes, trust.doc, Date.now());
      return { claims: verified.claims, trust: trust.doc, inBrowser: true };
    }
    if (!(e instanceof NoEd25519)) throw e;
  }
  await serverVerify(payloadText);
  return { claims: decodeClaims(parseSign1(bytes).payload), trust: trust.doc, inBrowser: false };
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** RFC 9162 §2.1.1: the leaf hash of entry bytes is SHA-256(0x00 || entry). */
async function leafHashOf(entryBytes) {
  const input = new Uint8Array(entryBytes.length + 1);
  input.set(entryBytes, 1);
  return sha256(input);
}

/**
 * One entry proven in the checkpoint: its bytes hash to the leaf hash, the entry is the
 * expected kind at the expected index, and the inclusion proof leads to the root.
 */
async function proveEntry(proof, seq, kind, checkpoint) {
  const entryBytes = base64ToBytes(proof.entry);
  const leafHash = await leafHashOf(entryBytes);
  if (!equalBytes(leafHash, hashBytes(proof.leaf_hash))) {
    throw new LogProofError("bad-proof", "the entry does not hash to its leaf hash");
  }
  const entry = JSON.parse(new TextDecoder().decode(entryBytes));
  if (entry.seq !== seq || entry.kind !== kind) {
    throw new LogProofError("not-in-log", `entry ${seq} is not a ${kind}`);
  }
  await verifyInclusion(seq, checkpoint.size, leafHash, proof.inclusion_proof.map(hashBytes),
    checkpoint.root);
  return { leafHash, entry };
}

/** Status from the log: issued or voided, and the proof that the entry is in it. */
async function checkLog(claims, trust, inBrowser) {
  let status;
  try {
    status = await fetchJson(`/api/v1/receipts/${claims.seq}/status`);
  } catch (e) {
    if (e instanceof HttpError && e.status === 404) throw new LogProofError("not-in-log", "404");
    throw e;
  }
  let checkpoint;
  if (inBrowser) {
    checkpoint = await openCheckpoint(status.checkpoint, trust);
  } else {
    // Without Ed25519 the checkpoint signature cannot be checked here; the tree still is.
    const lines = status.checkpoint.split("\n");
    checkpoint = { size: Number(lines[1]), root: base64ToBytes(lines[2]) };
  }
  if (status.tree_size !== checkpoint.size) {
    throw new LogProofError("bad-proof", "the proof is for another checkpoint");
  }
  const { leafHash } = await proveEntry(status, claims.seq, "receipt.issued", checkpoint);
  // The receipt commits to its entry: claim 11 is the first 16 bytes of the leaf hash.
  if (!equalBytes(leafHash.subarray(0, 16), claims.commitment)) {
    throw new LogProofError("not-in-log", "the entry at this index is another one");
  }
  // A voided status is shown as voided even without proof: never show "valid" for it.
  const voided = status.status === "voided";
  if (voided && status.void) {
    const { entry } = await proveEntry(status.void, status.void.seq, "receipt.voided", checkpoint);
    if (entry.body.receipt_seq !== claims.seq) {
      throw new LogProofError("bad-proof", "the void names another receipt");
    }
  }
  return { voided, size: checkpoint.size };
}

async function run() {
  const payloadText = location.hash.slice(1);
  if (!payloadText) return;
  $("result").hidden = false;
  showVerdict("pending", t("verdict.checking"), "");
  let checked;
  try {
    const bytes = payloadFromFragment(payloadText);
    checked = await checkSignature(bytes, payloadText);
  } catch (e) {
    if (e instanceof MalformedReceipt || e instanceof VerificationError) {
      fail(e.code);
      let untrusted = null;
      try {
        // Show what the receipt claims even though it is not valid, marked as such.
        untrusted = decodeClaims(parseSign1(payloadFromFragment(payloadText)).payload);
        renderClaims(untrusted);
        $("details").classList.add("untrusted");
      } catch (ignored) {
        // Nothing readable to show.
      }
      setupComplaint(untrusted); // a forged receipt is itself worth reporting
      return;
    }
    fail("network");
    return;
  }
  const { claims, trust, inBrowser } = checked;
  renderClaims(claims);
  $("mode-note").textContent = inBrowser ? t("mode.browser") : t("mode.server");
  $("mode-note").hidden = false;
  let log;
  try {
    log = await checkLog(claims, trust, inBrowser);
  } catch (e) {
    fail(e instanceof LogProofError ? e.code : "log-unreachable");
    setupComplaint(claims); // signed but not provably recorded: worth reporting
    return;
  }
  $("ledger-line").textContent = t("ledger.recorded", { size: log.size, seq: claims.seq });
  $("ledger-line").hidden = false;
  setupComplaint(claims);
  if (log.voided) {
    showVerdict("voided", t("verdict.voided"), t("reason.voided"));
    document.body.dataset.verdict = "voided";
    return;
  }
  showVerdict("valid", t("verdict.valid"), claims.kind === "normal" ? t("reason.valid") : "");
  document.body.dataset.verdict = "valid";
}

window.addEventListener("hashchange", () => location.reload());
run().finally(() => {
  document.body.dataset.done = "1";
});
