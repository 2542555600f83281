// A small DER (and BER indefinite-length) reader for certificates, key files and PKCS#12.

export class DerError extends Error {}

export const SEQUENCE = 0x30, SET = 0x31, INTEGER = 0x02, BIT_STRING = 0x03;
export const OCTET_STRING = 0x04, NULL = 0x05, OID = 0x06;

/** Parse one TLV at `offset`; returns {tag, start, header, length, end, bytes, value}. */
export function parse(bytes, offset = 0, limit = bytes.length) {
  if (offset + 2 > limit) throw new DerError("truncated");
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError("high tag numbers are not used here");
  let first = bytes[offset + 1];
  let header = 2, length;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    if (!(tag & 0x20)) throw new DerError("indefinite length on a primitive");
    length = -1;
  } else {
    const size = first & 0x7f;
    if (size > 4 || offset + 2 + size > limit) throw new DerError("bad length");
    length = 0;
    for (let i = 0; i < size; i++) length = length * 256 + bytes[offset + 2 + i];
    header += size;
  }
  const start = offset + header;
  let end;
  if (length < 0) { // BER: children until 00 00
    let position = start;
    while (true) {
      if (position + 2 > limit) throw new DerError("unterminated");
      if (bytes[position] === 0 && bytes[position + 1] === 0) break;
      position = parse(bytes, position, limit).end;
    }
    length = position - start;
    end = position + 2;
  } else {
    end = start + length;
  }
  if (end > limit) throw new DerError("truncated");
  return { tag, start, header, length, end, bytes, value: bytes.subarray(start, start + length) };
}

/** The whole input must be exactly one TLV. */
export function parseAll(bytes) {
  const node = parse(bytes, 0);
  if (node.end !== bytes.length) throw new DerError("trailing bytes");
  return node;
}

export function children(node) {
  if (!(node.tag & 0x20)) throw new DerError("not constructed");
  const out = [];
  let position = node.start;
  const stop = node.start + node.length;
  while (position < stop) {
    const child = parse(node.bytes, position, stop);
    out.push(child);
    position = child.end;
  }
  return out;
}

export function expect(node, tag) {
  if (node.tag !== tag) throw new DerError(`expected tag ${tag}, found ${node.tag}`);
  return node;
}

/** The encoded TLV bytes of a node. */
export function raw(node) {
  return node.bytes.subarray(node.start - node.header, node.end);
}

/** OCTET STRING contents, primitive or (BER) constructed; also [n] IMPLICIT octets. */
export function octets(node) {
  if (!(node.tag & 0x20)) return node.value;
  const parts = children(node).map(octets);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let position = 0;
  for (const part of parts) { out.set(part, position); position += part.length; }
  return out;
}

export function oid(node) {
  expect(node, OID);
  const v = node.value;
  if (v.length === 0) throw new DerError("empty OID");
  const parts = [];
  let value = 0;
  for (let i = 0; i < v.length; i++) {
    value = value * 128 + (v[i] & 0x7f);
    if (!(v[i] & 0x80)) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  return parts.join(".");
}

/** INTEGER as a Number (small values: versions, iteration counts, key lengths). */
export function smallInt(node) {
  expect(node, INTEGER);
  if (node.length === 0 || node.length > 6 || node.value[0] & 0x80) throw new DerError("bad int");
  let value = 0;
  for (const b of node.value) value = value * 256 + b;
  return value;
}

/** INTEGER magnitude without leading zero bytes (for modulus comparison). */
export function unsignedBytes(node) {
  expect(node, INTEGER);
  let v = node.value;
  if (v.length === 0) throw new DerError("bad int");
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  return v.subarray(i);
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let position = 0;
  for (const part of parts) { out.set(part, position); position += part.length; }
  return out;
}

/** Encode a TLV (used to rebuild a PKCS#8 without attributes for WebCrypto). */
export function tlv(tag, content) {
  const n = content.length;
  let header;
  if (n < 0x80) header = [tag, n];
  else if (n < 0x100) header = [tag, 0x81, n];
  else if (n < 0x10000) header = [tag, 0x82, n >> 8, n & 0xff];
  else header = [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concat(Uint8Array.from(header), content);
}
