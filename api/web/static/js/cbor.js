// Strict decoder and tiny encoder for the deterministic CBOR subset of Bukti receipts
// (docs/receipt-format.md). Mirrors receipts/cbor.py: it accepts exactly the bytes the
// issuer produces and rejects everything else with a reason code.
//
// Accepted (RFC 8949 §3): unsigned and negative integers, byte strings, text strings,
// arrays, maps and one top-level tag. Rejected: non-shortest arguments and indefinite
// lengths (§4.2.1), unsorted or duplicate map keys (§4.2.1, §5.6), floats, simple values,
// nested tags and trailing bytes.

export class MalformedReceipt extends Error {
  constructor(reason, message) {
    super(message);
    this.name = "MalformedReceipt";
    this.reason = reason;
    this.code = "malformed." + reason;
  }
}

const UINT = 0, NINT = 1, BSTR = 2, TSTR = 3, ARRAY = 4, MAP = 5, TAG = 6, SIMPLE = 7;
const MAX_DEPTH = 8;
const utf8 = new TextDecoder("utf-8", { fatal: true });

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

class Reader {
  constructor(data) {
    this.data = data;
    this.pos = 0;
  }

  take(n) {
    if (n > this.data.length - this.pos) {
      throw new MalformedReceipt("truncated",
        `CBOR ends early: needed ${n} byte(s) at offset ${this.pos}`);
    }
    const chunk = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return chunk;
  }

  // RFC 8949 §3: initial byte and its argument, shortest form only (§4.2.1).
  head() {
    const offset = this.pos;
    const initial = this.take(1)[0];
    const major = initial >> 5, additional = initial & 0x1f;
    if (additional < 24) return [major, additional];
    if (additional === 31) {
      if (major === BSTR || major === TSTR || major === ARRAY || major === MAP) {
        throw new MalformedReceipt("non-canonical",
          `indefinite length at offset ${offset}; definite lengths are required`);
      }
      throw new MalformedReceipt("not-cbor", `unexpected break at offset ${offset}`);
    }
    if (additional > 27) {
      throw new MalformedReceipt("not-cbor", `reserved additional information at ${offset}`);
    }
    if (major === SIMPLE) {
      if (additional === 24) {
        throw new MalformedReceipt("unsupported-type", `simple value at offset ${offset}`);
      }
      throw new MalformedReceipt("float", `floating-point value at offset ${offset}`);
    }
    const width = 1 << (additional - 24);
    const bytes = this.take(width);
    let argument = 0n;
    for (const b of bytes) argument = (argument << 8n) | BigInt(b);
    const minimum = width === 1 ? 24n : 1n << BigInt(4 * width);
    if (argument < minimum) {
      throw new MalformedReceipt("non-canonical",
        `argument at offset ${offset} is not in its shortest form`);
    }
    return [major, argument <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(argument) : argument];
  }

  item(depth) {
    if (depth > MAX_DEPTH) {
      throw new MalformedReceipt("structure", `nesting deeper than ${MAX_DEPTH} levels`);
    }
    const offset = this.pos;
    const [major, argument] = this.head();
    if (major === UINT) return argument;
    if (major === NINT) {
      return typeof argument === "bigint" ? -1n - argument : -1 - argument;
    }
    if (typeof argument === "bigint") {
      throw new MalformedReceipt("truncated", `length at offset ${offset} is too large`);
    }
    if (major === BSTR) return this.take(argument).slice();
    if (major === TSTR) {
      const raw = this.take(argument);
      try {
        return utf8.decode(raw);
      } catch (e) {
        throw new MalformedReceipt("not-cbor", `text at offset ${offset} is not UTF-8`);
      }
    }
    if (major === ARRAY) {
      this.checkCount(argument, 1, offset);
      const out = [];
      for (let i = 0; i < argument; i++) out.push(this.item(depth + 1));
      return out;
    }
    if (major === MAP) {
      this.checkCount(argument, 2, offset);
      return this.map(argument, depth, offset);
    }
    if (major === TAG) {
      throw new MalformedReceipt("unsupported-type",
        `tag ${argument} at offset ${offset}; only the outer tag is allowed`);
    }
    throw new MalformedReceipt("unsupported-type", `simple value at offset ${offset}`);
  }

  checkCount(count, minBytes, offset) {
    if (count * minBytes > this.data.length - this.pos) {
      throw new MalformedReceipt("truncated",
        `container at offset ${offset} claims ${count} items; too few bytes`);
    }
  }

  map(count, depth, offset) {
    const out = new Map();
    let previous = new Uint8Array(0);
    for (let i = 0; i < count; i++) {
      const start = this.pos;
      const key = this.item(depth + 1);
      const encodedKey = this.data.subarray(start, this.pos);
      if (typeof key !== "number" && typeof key !== "string" && !(key instanceof Uint8Array)) {
        throw new MalformedReceipt("unsupported-type",
          `map key at offset ${start} is not an integer or string`);
      }
      const order = i === 0 ? 1 : compareBytes(encodedKey, previous);
      if (order === 0) {
        // RFC 8949 §5.6: duplicate keys make a map invalid.
        throw new MalformedReceipt("duplicate-key", `map at offset ${offset} repeats a key`);
      }
      if (order < 0) {
        // RFC 8949 §4.2.1: keys sorted bytewise by their encodings.
        throw new MalformedReceipt("non-canonical", `map at offset ${offset} is not sorted`);
      }
      previous = encodedKey;
      out.set(key, this.item(depth + 1));
    }
    return out;
  }

  finish() {
    if (this.pos !== this.data.length) {
      throw new MalformedReceipt("trailing-bytes",
        `${this.data.length - this.pos} byte(s) after the data item`);
    }
  }
}

/** Decode exactly one untagged item of the subset; nothing may follow it. */
export function decode(data) {
  const reader = new Reader(data);
  const value = reader.item(0);
  reader.finish();
  return value;
}

/** Decode `tag(item)` (RFC 8949 §3.4) where `tag` must be the outermost tag. */
export function decodeTagged(data, tag) {
  if (data.length === 0) throw new MalformedReceipt("truncated", "empty input");
  if (data[0] >> 5 !== TAG) {
    throw new MalformedReceipt("wrong-tag", `expected CBOR tag ${tag}, found an untagged item`);
  }
  const reader = new Reader(data);
  const [, found] = reader.head();
  if (found !== tag) {
    throw new MalformedReceipt("wrong-tag", `expected CBOR tag ${tag}, found tag ${found}`);
  }
  const value = reader.item(0);
  reader.finish();
  return value;
}

function encodeHead(major, argument) {
  if (argument < 24) return [major << 5 | argument];
  const out = [];
  let width = 1, additional = 24;
  if (argument >= 0x100000000) { width = 8; additional = 27; }
  else if (argument >= 0x10000) { width = 4; additional = 26; }
  else if (argument >= 0x100) { width = 2; additional = 25; }
  out.push(major << 5 | additional);
  for (let i = width - 1; i >= 0; i--) out.push(Math.floor(argument / 2 ** (8 * i)) & 0xff);
  return out;
}

/**
 * Encode an array of text strings and byte strings (all the Sig_structure of
 * RFC 9052 §4.4 needs), deterministically (RFC 8949 §4.2.1).
 */
export function encodeArray(items) {
  const parts = [encodeHead(ARRAY, items.length)];
  for (const item of items) {
    if (typeof item === "string") {
      const raw = new TextEncoder().encode(item);
      parts.push(encodeHead(TSTR, raw.length), raw);
    } else if (item instanceof Uint8Array) {
      parts.push(encodeHead(BSTR, item.length), item);
    } else {
      throw new TypeError("only text and byte strings are encoded here");
    }
  }
  const size = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
