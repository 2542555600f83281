// SEED block cipher (KISA; RFC 4269) in CBC mode, and SHA-1 (FIPS 180-4) for PBKDF1.
// Written from the specifications: the two S-boxes of RFC 4269 Appendix A, the SS-box
// construction and key schedule of Section 2. Proven by tests/webapp/js/seed.test.mjs
// (RFC 4269 Appendix B vectors, and CBC output of OpenSSL's SEED through Python).

const S1 = hex(
  "a985d6d3541dac255d43181e51fcca632844209de0e2c817a58f037bbb13d2ee" +
  "708c3fa832ddf674ec950b575c5bbd01241c739810ccf2d92ce772839bd186c9" +
  "6050a3eb0db69e4fb75ac678a612afd561c3b441527d8d081f9900190453f7e1" +
  "fd762f27b08b0eaba26e934d697c090abfeff3c58714fe64de2e4b1a06216b66" +
  "02f5928a0cb37ed07a4796e52680addfa13037ae36152238f4a7454c81e98497" +
  "35cbce3c7111c78975fbdaf8945982c4ff493967c0cfd7b80f8e4223916cdba4" +
  "34f148c26f3d2d40be3ebcc1aaba4e553bdc687f9cd84a5677a0ed46b52b65fa" +
  "e3b9b19f5ef9e6b231ea6d5fe4f0cd88163a58d462290733e81b0579906a2a9a");
const S2 = hex(
  "38e82da6cfdeb3b8af6055c7446f6b5bc36233b529a0e2a7d39111061cbc364b" +
  "ef886ca817c416f4c245e1d63f3d8e98284ef63ea5f90ddfd82b667a272ff172" +
  "42d441c07367ac8bf7ad801fca2caa34d20beee95d9418f857ae08c513cd86b9" +
  "ff7dc131f58a6ab1d120d7022204687107db9d9961bee659dd5190dc9aa3abd0" +
  "810f471ae3ec8dbf967b5ca2a163234dc89e9c3a0c2eba6e9f5af292f34978cc" +
  "15fb70757f351003646dc674d5b4ea097619fe4012e0bd05fa01f02a5ea95643" +
  "8514899bb0e5487997fc1e82218c1b5f7754b21d254f0046ed5852eb7edac9fd" +
  "3095653cb6e4bb7c0e5039263284699337e724a4cb530a87d94c838fce3b4ab7");

function hex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

// SS-boxes: SS0..SS3 spread S1/S2 over four bytes with the masks m0..m3 (RFC 4269 §2).
const M0 = 0xfc, M1 = 0xf3, M2 = 0xcf, M3 = 0x3f;
const SS0 = new Uint32Array(256), SS1 = new Uint32Array(256);
const SS2 = new Uint32Array(256), SS3 = new Uint32Array(256);
for (let x = 0; x < 256; x++) {
  const a = S1[x], b = S2[x];
  SS0[x] = (((a & M3) << 24) | ((a & M2) << 16) | ((a & M1) << 8) | (a & M0)) >>> 0;
  SS1[x] = (((b & M0) << 24) | ((b & M3) << 16) | ((b & M2) << 8) | (b & M1)) >>> 0;
  SS2[x] = (((a & M1) << 24) | ((a & M0) << 16) | ((a & M3) << 8) | (a & M2)) >>> 0;
  SS3[x] = (((b & M2) << 24) | ((b & M1) << 16) | ((b & M0) << 8) | (b & M3)) >>> 0;
}

// Key-schedule constants: KC0 = the golden ratio 0x9e3779b9, KCi = KC(i-1) <<< 1.
const KC = new Uint32Array(16);
KC[0] = 0x9e3779b9;
for (let i = 1; i < 16; i++) KC[i] = ((KC[i - 1] << 1) | (KC[i - 1] >>> 31)) >>> 0;

function g(x) {
  return (SS0[x & 0xff] ^ SS1[(x >>> 8) & 0xff] ^ SS2[(x >>> 16) & 0xff] ^ SS3[x >>> 24]) >>> 0;
}

function be32(bytes, offset) {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) |
    bytes[offset + 3]) >>> 0;
}

function put32(bytes, offset, value) {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

/** The 32 round-key words of a 16-byte key. */
export function expandKey(key) {
  if (key.length !== 16) throw new Error("SEED key must be 16 bytes");
  let k0 = be32(key, 0), k1 = be32(key, 4), k2 = be32(key, 8), k3 = be32(key, 12);
  const rounds = new Uint32Array(32);
  for (let i = 0; i < 16; i++) {
    rounds[2 * i] = g((k0 + k2 - KC[i]) >>> 0);
    rounds[2 * i + 1] = g((k1 - k3 + KC[i]) >>> 0);
    if (i % 2 === 0) { // K0||K1 >>> 8
      const t = k0;
      k0 = ((k0 >>> 8) | (k1 << 24)) >>> 0;
      k1 = ((k1 >>> 8) | (t << 24)) >>> 0;
    } else { // K2||K3 <<< 8
      const t = k2;
      k2 = ((k2 << 8) | (k3 >>> 24)) >>> 0;
      k3 = ((k3 << 8) | (t >>> 24)) >>> 0;
    }
  }
  return rounds;
}

function block(rounds, input, inOffset, output, outOffset, decrypt) {
  let l0 = be32(input, inOffset), l1 = be32(input, inOffset + 4);
  let r0 = be32(input, inOffset + 8), r1 = be32(input, inOffset + 12);
  for (let n = 0; n < 16; n++) {
    const i = decrypt ? 15 - n : n;
    // F(Ki, R): the G-function network of RFC 4269 §2
    const c = (r0 ^ rounds[2 * i]) >>> 0;
    const d = (r1 ^ rounds[2 * i + 1]) >>> 0;
    const t = g((c ^ d) >>> 0);
    const u = g((t + c) >>> 0);
    const f1 = g((u + t) >>> 0);
    const f0 = (f1 + u) >>> 0;
    const n0 = (l0 ^ f0) >>> 0, n1 = (l1 ^ f1) >>> 0;
    l0 = r0; l1 = r1; r0 = n0; r1 = n1;
  }
  put32(output, outOffset, r0);
  put32(output, outOffset + 4, r1);
  put32(output, outOffset + 8, l0);
  put32(output, outOffset + 12, l1);
}

/** SEED-128 on one 16-byte block (ECB), for the known-answer tests. */
export function encryptBlock(key, plain) {
  const out = new Uint8Array(16);
  block(expandKey(key), plain, 0, out, 0, false);
  return out;
}

export function decryptBlock(key, cipher) {
  const out = new Uint8Array(16);
  block(expandKey(key), cipher, 0, out, 0, true);
  return out;
}

/** SEED-CBC decryption; returns the plaintext without PKCS#7 padding, or null if it is bad. */
export function cbcDecrypt(key, iv, ciphertext) {
  if (iv.length !== 16 || ciphertext.length === 0 || ciphertext.length % 16 !== 0) return null;
  const rounds = expandKey(key);
  const out = new Uint8Array(ciphertext.length);
  let previous = iv;
  for (let offset = 0; offset < ciphertext.length; offset += 16) {
    block(rounds, ciphertext, offset, out, offset, true);
    for (let j = 0; j < 16; j++) out[offset + j] ^= previous[j];
    previous = ciphertext.subarray(offset, offset + 16);
  }
  const pad = out[out.length - 1];
  if (pad < 1 || pad > 16) return null;
  let bad = 0;
  for (let j = out.length - pad; j < out.length; j++) bad |= out[j] ^ pad;
  if (bad !== 0) return null;
  return out.subarray(0, out.length - pad);
}

/** SEED-CBC encryption with PKCS#7 padding (tests only; the page never encrypts keys). */
export function cbcEncrypt(key, iv, plain) {
  const rounds = expandKey(key);
  const pad = 16 - (plain.length % 16);
  const buffer = new Uint8Array(plain.length + pad);
  buffer.set(plain);
  buffer.fill(pad, plain.length);
  let previous = iv;
  for (let offset = 0; offset < buffer.length; offset += 16) {
    for (let j = 0; j < 16; j++) buffer[offset + j] ^= previous[j];
    block(rounds, buffer, offset, buffer, offset, false);
    previous = buffer.subarray(offset, offset + 16);
  }
  return buffer;
}

// ---- SHA-1 (synchronous: PBKDF1 runs 2048 chained hashes; awaiting WebCrypto each time is slow)

export function sha1(data) {
  const length = data.length;
  const blocks = ((length + 8) >> 6) + 1;
  const words = new Uint32Array(blocks * 16);
  for (let i = 0; i < length; i++) words[i >> 2] |= data[i] << (24 - (i % 4) * 8);
  words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
  words[blocks * 16 - 1] = length * 8;
  words[blocks * 16 - 2] = Math.floor(length / 0x20000000);
  let h0 = 0x67452301, h1 = 0xefcdab89, h2 = 0x98badcfe, h3 = 0x10325476, h4 = 0xc3d2e1f0;
  const w = new Uint32Array(80);
  for (let b = 0; b < blocks; b++) {
    for (let t = 0; t < 16; t++) w[t] = words[b * 16 + t];
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
      w[t] = (x << 1) | (x >>> 31);
    }
    let a = h0, bb = h1, c = h2, d = h3, e = h4;
    for (let t = 0; t < 80; t++) {
      let f, k;
      if (t < 20) { f = (bb & c) | (~bb & d); k = 0x5a827999; }
      else if (t < 40) { f = bb ^ c ^ d; k = 0x6ed9eba1; }
      else if (t < 60) { f = (bb & c) | (bb & d) | (c & d); k = 0x8f1bbcdc; }
      else { f = bb ^ c ^ d; k = 0xca62c1d6; }
      const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) >>> 0;
      e = d; d = c; c = ((bb << 30) | (bb >>> 2)) >>> 0; bb = a; a = temp;
    }
    h0 = (h0 + a) >>> 0; h1 = (h1 + bb) >>> 0; h2 = (h2 + c) >>> 0;
    h3 = (h3 + d) >>> 0; h4 = (h4 + e) >>> 0;
  }
  const out = new Uint8Array(20);
  [h0, h1, h2, h3, h4].forEach((h, i) => put32(out, i * 4, h));
  return out;
}
