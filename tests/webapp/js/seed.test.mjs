// SEED known answers (RFC 4269 Appendix B) and SEED-CBC / SHA-1 against Python's OpenSSL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { encryptBlock, decryptBlock, cbcDecrypt, cbcEncrypt, sha1 } from "../../../bot/webapp/static/seed.js";

const hex = (s) => Uint8Array.from(Buffer.from(s, "hex"));
const b64 = (s) => Uint8Array.from(Buffer.from(s, "base64"));

const RFC4269 = [ // [key, plaintext, ciphertext], Appendix B.1–B.4
  ["00000000000000000000000000000000", "000102030405060708090a0b0c0d0e0f", "5ebac6e0054e166819aff1cc6d346cdb"],
  ["000102030405060708090a0b0c0d0e0f", "00000000000000000000000000000000", "c11f22f20140505084483597e4370f43"],
  ["4706480851e61be85d74bfb3fd956185", "83a2f8a288641fb9a4e9a5cc2f131c7d", "ee54d13ebcae706d226bc3142cd40d4a"],
  ["28dbc3bc49ffd87dcfa509b11d422be7", "b41e6be2eba84a148e2eed84593c5ec7", "9b9b7bfcd1813cb95d0b3618f40f5122"],
];

test("SEED block: RFC 4269 Appendix B", () => {
  for (const [key, plain, cipher] of RFC4269) {
    assert.deepEqual(encryptBlock(hex(key), hex(plain)), hex(cipher));
    assert.deepEqual(decryptBlock(hex(key), hex(cipher)), hex(plain));
  }
});

const vectorsPath = process.env.WEBAPP_VECTORS;
const vectors = vectorsPath ? JSON.parse(readFileSync(vectorsPath, "utf8")) : null;

test("SEED-CBC equals OpenSSL (through Python)", { skip: !vectors }, () => {
  for (const v of vectors.seed_cbc) {
    assert.deepEqual(cbcDecrypt(b64(v.key), b64(v.iv), b64(v.cipher)), b64(v.plain));
    assert.deepEqual(cbcEncrypt(b64(v.key), b64(v.iv), b64(v.plain)), b64(v.cipher));
  }
});

test("SEED-CBC refuses bad padding", () => {
  const key = new Uint8Array(16), iv = new Uint8Array(16);
  const cipher = cbcEncrypt(key, iv, new Uint8Array(20));
  cipher[cipher.length - 1] ^= 1;
  assert.equal(cbcDecrypt(key, iv, cipher), null);
  assert.equal(cbcDecrypt(key, iv, new Uint8Array(15)), null);
});

test("SHA-1 equals hashlib", { skip: !vectors }, () => {
  for (const v of vectors.sha1) {
    assert.equal(Buffer.from(sha1(b64(v.data))).toString("hex"), v.digest);
  }
});
