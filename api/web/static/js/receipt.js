// A Bukti receipt in the browser: COSE_Sign1 (RFC 9052) parsing, claims
// (docs/receipt-format.md §Payload) and the Ed25519 signature check with WebCrypto.
// Mirrors receipts/verify.py; each failure carries the same stable code.
import { MalformedReceipt, decode, decodeTagged, encodeArray } from "./cbor.js";
import { decodeBase32 } from "./base32.js";

export class VerificationError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "VerificationError";
    this.code = code;
  }
}

/** WebCrypto here cannot do Ed25519: the caller falls back to the server's check. */
export class NoEd25519 extends Error {}

const COSE_SIGN1_TAG = 18; // RFC 9052 §2
const ALG_LABEL = 1, KID_LABEL = 4; // RFC 9052 §3.1
const ALG_EDDSA = -8; // RFC 9053 §2.2
const SIGNATURE_SIZE = 64, COMMITMENT_SIZE = 16, MAX_TEXT_BYTES = 64;
const MAX_RECEIPT_BYTES = 1024, KID_SIZE = 8;
const MAX_INT = Number.MAX_SAFE_INTEGER;

export const KIND = Object.freeze({ 0: "normal", 1: "void", 2: "closing", 3: "deposit" });

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** The COSE bytes of a receipt from a QR URL fragment or bare Base32 text. */
export function payloadFromFragment(fragment) {
  const text = fragment.startsWith("#") ? fragment.slice(1) : fragment;
  return decodeBase32(text.trim());
}

/** RFC 9052 §4.2: COSE_Sign1 = [protected: bstr, unprotected: map, payload: bstr, sig: bstr]. */
export function parseSign1(bytes) {
  if (bytes.length > MAX_RECEIPT_BYTES) {
    throw new MalformedReceipt("too-large", `${bytes.length} bytes is more than any receipt`);
  }
  const message = decodeTagged(bytes, COSE_SIGN1_TAG);
  if (!Array.isArray(message) || message.length !== 4) {
    throw new MalformedReceipt("structure", "COSE_Sign1 must be an array of four items");
  }
  const [protectedBytes, unprotected, payload, signature] = message;
  if (!(protectedBytes instanceof Uint8Array) || !(unprotected instanceof Map) ||
      !(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    throw new MalformedReceipt("structure", "COSE_Sign1 items have the wrong types");
  }
  if (signature.length !== SIGNATURE_SIZE) {
    throw new MalformedReceipt("structure", `signature must be 64 bytes, found ${signature.length}`);
  }
  const header = protectedBytes.length ? decode(protectedBytes) : new Map();
  if (!(header instanceof Map)) {
    throw new MalformedReceipt("structure", "the protected header must be a map");
  }
  for (const label of header.keys()) {
    if (label !== ALG_LABEL && label !== KID_LABEL) {
      throw new MalformedReceipt("unknown-header", `protected header label ${label} is unknown`);
    }
  }
  if (header.get(ALG_LABEL) !== ALG_EDDSA) {
    throw new MalformedReceipt("wrong-alg", `alg must be EdDSA (-8), found ${header.get(ALG_LABEL)}`);
  }
  if (unprotected.size !== 0) {
    const reason = unprotected.has(KID_LABEL) ? "kid-unprotected" : "unknown-header";
    throw new MalformedReceipt(reason, "the unprotected header must be empty");
  }
  const kid = header.get(KID_LABEL);
  if (kid === undefined) {
    throw new MalformedReceipt("kid-missing", "no kid in the protected header");
  }
  if (!(kid instanceof Uint8Array) || kid.length !== KID_SIZE) {
    throw new MalformedReceipt("structure", `kid must be ${KID_SIZE} bytes`);
  }
  return { protectedBytes, payload, signature, kid };
}

function text(map, key, name) {
  const value = map.get(key);
  const size = typeof value === "string" ? new TextEncoder().encode(value).length : 0;
  if (typeof value !== "string" || size < 1 || size > MAX_TEXT_BYTES || value !== value.trim()) {
    throw new MalformedReceipt("invalid-claim", `claim ${key} (${name}) must be short text`);
  }
  return value;
}

function uint(map, key, name) {
  const value = map.get(key);
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_INT) {
    throw new MalformedReceipt("invalid-claim", `claim ${key} (${name}) must be an integer`);
  }
  return value;
}

/** docs/receipt-format.md §Payload: the integer-keyed claims map. */
export function decodeClaims(payload) {
  const map = decode(payload);
  if (!(map instanceof Map)) throw new MalformedReceipt("structure", "payload must be a map");
  for (const key of map.keys()) {
    if (typeof key !== "number" || key < 1 || key > 13) {
      throw new MalformedReceipt("unknown-claim", `payload has unknown claim key ${key}`);
    }
  }
  if (!map.has(1)) throw new MalformedReceipt("missing-claim", "payload lacks claim 1");
  if (map.get(1) !== 1) {
    throw new MalformedReceipt("unsupported-version", `format version ${map.get(1)}`);
  }
  for (let key = 1; key <= 11; key++) {
    if (!map.has(key)) throw new MalformedReceipt("missing-claim", `payload lacks claim ${key}`);
  }
  const issuer = map.get(2);
  if (!Array.isArray(issuer) || issuer.length !== 2 ||
      !issuer.every((part) => typeof part === "string")) {
    throw new MalformedReceipt("invalid-claim", "claim 2 (issuer) must be [office, counter]");
  }
  const issuerMap = new Map([[0, issuer[0]], [1, issuer[1]]]);
  const kind = uint(map, 10, "kind");
  if (!(kind in KIND)) throw new MalformedReceipt("invalid-claim", `unknown kind ${kind}`);
  const commitment = map.get(11);
  if (!(commitment instanceof Uint8Array) || commitment.length !== COMMITMENT_SIZE) {
    throw new MalformedReceipt("invalid-claim", "claim 11 (commitment) must be 16 bytes");
  }
  const claims = {
    office: text(issuerMap, 0, "office"),
    counter: text(issuerMap, 1, "counter"),
    number: text(map, 3, "receipt number"),
    seq: uint(map, 4, "ledger index"),
    issuedAt: uint(map, 5, "issued at"),
    service: text(map, 6, "service code"),
    schedule: text(map, 7, "schedule version"),
    officialFee: uint(map, 8, "official fee"),
    charged: uint(map, 9, "amount charged"),
    kind: KIND[kind],
    commitment,
    waiver: map.has(12) ? text(map, 12, "waiver reference") : null,
    voidedNumber: map.has(13) ? text(map, 13, "voided receipt number") : null,
  };
  if (claims.waiver !== null && claims.kind !== "normal") {
    throw new MalformedReceipt("invalid-claim", "a waiver belongs on a normal receipt");
  }
  if ((claims.kind === "void") !== (claims.voidedNumber !== null)) {
    throw new MalformedReceipt("invalid-claim", "claim 13 belongs on void receipts only");
  }
  return claims;
}

export function base64ToBytes(text) {
  const raw = atob(text);
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/** Ed25519 verify with WebCrypto; throws NoEd25519 where the browser lacks it. */
export async function ed25519Verify(publicKey, signature, message) {
  let key;
  try {
    if (!globalThis.crypto || !crypto.subtle) throw new Error("no WebCrypto");
    key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch (e) {
    throw new NoEd25519(String(e));
  }
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

/**
 * Verify a receipt against the trust list: key known → signature (RFC 9052 §4.4) →
 * claims → key valid when issued → fee rule. Returns the claims; throws
 * MalformedReceipt, VerificationError or NoEd25519.
 */
export async function verifyReceipt(bytes, trustList, nowMs) {
  const sign1 = parseSign1(bytes);
  const kidHex = hex(sign1.kid);
  const key = trustList.keys.find((k) => k.purpose === "receipts" && k.kid === kidHex);
  if (!key) {
    throw new VerificationError("unknown-key", `key id ${kidHex} is not in the trust list`);
  }
  // RFC 9052 §4.4: Sig_structure = ["Signature1", body_protected, external_aad, payload].
  const toBeSigned = encodeArray(["Signature1", sign1.protectedBytes, new Uint8Array(0),
    sign1.payload]);
  const good = await ed25519Verify(base64ToBytes(key.public_key), sign1.signature, toBeSigned);
  if (!good) throw new VerificationError("bad-signature", "the signature does not verify");
  const claims = decodeClaims(sign1.payload);
  const issuedMs = claims.issuedAt * 1000;
  if (claims.issuedAt < Math.floor(key.valid_from / 1000)) {
    throw new VerificationError("key-not-yet-valid", "signed before the key became valid");
  }
  if (key.valid_until !== undefined && issuedMs >= key.valid_until) {
    throw new VerificationError("retired-key", "signed after the key was retired");
  }
  if (issuedMs > nowMs + 5 * 60 * 1000) {
    throw new VerificationError("issued-in-future", "issued later than now");
  }
  if (claims.kind === "normal" && (claims.waiver === null ? claims.charged !== claims.officialFee
    : claims.charged > claims.officialFee)) {
    throw new VerificationError("fee-mismatch", "charged differs from the official fee");
  }
  return { claims, kid: kidHex, keyName: key.name };
}
