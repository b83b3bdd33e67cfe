// The public log in the browser: C2SP signed notes and checkpoints, and RFC 9162
// inclusion proofs, all checked with WebCrypto (SHA-256, Ed25519).
import { base64ToBytes, ed25519Verify, equalBytes } from "./receipt.js";

export class LogProofError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "LogProofError";
    this.code = code;
  }
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// RFC 9162 §2.1.1: node hash = SHA-256(0x01 || left || right).
function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

const odd = (n) => n % 2 === 1;
const half = (n) => Math.floor(n / 2); // sizes can exceed 2**31: no bit shifts

/** RFC 9162 §2.1.3.2: verify an inclusion proof; throws LogProofError when it fails. */
export async function verifyInclusion(leafIndex, treeSize, leafHash, proof, root) {
  if (leafHash.length !== 32 || proof.some((p) => p.length !== 32)) {
    throw new LogProofError("bad-proof", "a hash in the proof is not 32 bytes");
  }
  if (leafIndex >= treeSize) {
    throw new LogProofError("not-in-log", `index ${leafIndex} is outside a tree of ${treeSize}`);
  }
  let fn = leafIndex, sn = treeSize - 1, r = leafHash;
  for (const p of proof) {
    if (sn === 0) throw new LogProofError("bad-proof", "the proof is longer than the tree");
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new LogProofError("bad-proof", "the proof is shorter than the tree");
  if (!equalBytes(r, root)) throw new LogProofError("bad-proof", "the proof leads to another root");
}

/** C2SP signed-note key id: SHA-256(name || 0x0A || 0x01 || public key)[:4]. */
async function noteKeyId(name, publicKey) {
  const digest = await sha256(concat(new TextEncoder().encode(name + "\n"), Uint8Array.of(1),
    publicKey));
  return digest.subarray(0, 4);
}

/**
 * Open a C2SP signed note (`text`, blank line, `— name base64(keyid || sig)` lines)
 * with the trust list's log keys, then parse its C2SP tlog-checkpoint body.
 * Returns {origin, size, root, signer}.
 */
export async function openCheckpoint(noteText, trustList) {
  const split = noteText.lastIndexOf("\n\n");
  if (split < 0 || !noteText.endsWith("\n")) {
    throw new LogProofError("bad-checkpoint", "the checkpoint is not a signed note");
  }
  const body = noteText.slice(0, split + 1);
  const lines = noteText.slice(split + 2, -1).split("\n");
  const bodyBytes = new TextEncoder().encode(body);
  const logKeys = trustList.keys.filter((k) => k.purpose === "log");
  let signer = null;
  for (const line of lines) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!match) throw new LogProofError("bad-checkpoint", "a signature line is malformed");
    const blob = base64ToBytes(match[2]);
    if (blob.length !== 68) continue; // not an Ed25519 signature: some other kind of signer
    for (const key of logKeys) {
      if (key.name !== match[1]) continue;
      const publicKey = base64ToBytes(key.public_key);
      if (!equalBytes(await noteKeyId(key.name, publicKey), blob.subarray(0, 4))) continue;
      if (!(await ed25519Verify(publicKey, blob.subarray(4), bodyBytes))) {
        throw new LogProofError("bad-checkpoint", "the checkpoint signature does not verify");
      }
      signer = key.name;
    }
  }
  if (signer === null) {
    throw new LogProofError("bad-checkpoint", "no signature by a log key in the trust list");
  }
  // C2SP tlog-checkpoint: origin, decimal size, base64 root hash, then extension lines.
  const [origin, sizeText, rootText] = body.split("\n");
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText || "") || !rootText) {
    throw new LogProofError("bad-checkpoint", "the checkpoint body is malformed");
  }
  const root = base64ToBytes(rootText);
  if (root.length !== 32) throw new LogProofError("bad-checkpoint", "the root is not 32 bytes");
  return { origin, size: Number(sizeText), root, signer };
}
