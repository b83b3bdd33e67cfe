// RFC 4648 §6 Base32 without padding, as printed in the receipt QR (upper case, so the
// QR can use its alphanumeric mode). Strict: one spelling per byte string.
import { MalformedReceipt } from "./cbor.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const MAX_CHARS = 4096;

export function decodeBase32(text) {
  if (text.length === 0) throw new MalformedReceipt("bad-base32", "empty Base32 text");
  if (text.length > MAX_CHARS) {
    throw new MalformedReceipt("too-large", `Base32 text of ${text.length} characters`);
  }
  // RFC 4648 §6: a final quantum has 2, 4, 5 or 7 characters (1-4 bytes).
  if ([1, 3, 6].includes(text.length % 8)) {
    throw new MalformedReceipt("bad-base32", `impossible Base32 length ${text.length}`);
  }
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0, bits = 0, at = 0;
  for (let i = 0; i < text.length; i++) {
    const value = ALPHABET.indexOf(text[i]);
    if (value < 0) {
      throw new MalformedReceipt("bad-base32",
        `character ${JSON.stringify(text[i])} at ${i} is not upper-case Base32 without padding`);
    }
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >> bits) & 0xff;
    }
    buffer &= (1 << bits) - 1;
  }
  // RFC 4648 §3.5: the unused bits of the last character must be zero (canonical form).
  if (buffer !== 0) throw new MalformedReceipt("bad-base32", "non-zero padding bits");
  return out;
}
