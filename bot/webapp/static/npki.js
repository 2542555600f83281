// NPKI in the browser: read signCert.der, decrypt signPri.key or a PBES2 .pfx with the
// password, check the key belongs to the certificate, sign the server's challenge.
// Formats: docs/certificates.md; the Python reference is bot/certs/keyfile.py,
// unlock.py and pfx.py. Nothing here leaves the device: the page posts only the certificate,
// the signature and (for the identity check) R with the number the customer typed.

import * as der from "./der.js";
import { cbcDecrypt, sha1 } from "./seed.js";

export class NpkiError extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

export const MAX_ITERATIONS = 100000; // the file chooses the count: cap it (docs/certificates.md)
export const MAX_FILE_BYTES = 64 * 1024;
// What is signed: a fixed label, then the server's random challenge (domain separation, so a
// signature made here is never a valid signature over anything a bank would accept).
export const SIGNATURE_LABEL = "kcert-bot webapp challenge v1\n";

const RSA = "1.2.840.113549.1.1.1";
const SEED_CBC_WITH_SHA1 = "1.2.410.200004.1.15";
const SEED_CBC = "1.2.410.200004.1.4";
const PBES2 = "1.2.840.113549.1.5.13";
const PBKDF2 = "1.2.840.113549.1.5.12";
const RANDOM_NUM = "1.2.410.200004.10.1.1.3";
const PRFS = {
  "1.2.840.113549.2.7": "SHA-1",
  "1.2.840.113549.2.9": "SHA-256",
  "1.2.840.113549.2.10": "SHA-384",
  "1.2.840.113549.2.11": "SHA-512",
};
const CIPHERS = { // OID: [cipher, key bytes]; AES-192 is left out: Chromium's WebCrypto lacks it
  [SEED_CBC]: ["seed", 16],
  "2.16.840.1.101.3.4.1.2": ["aes", 16],
  "2.16.840.1.101.3.4.1.42": ["aes", 32],
};
const P7_DATA = "1.2.840.113549.1.7.1";
const P7_ENCRYPTED = "1.2.840.113549.1.7.6";
const KEY_BAG = "1.2.840.113549.1.12.10.1.1";
const SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2";
const CERT_BAG = "1.2.840.113549.1.12.10.1.3";
const SAFE_CONTENTS_BAG = "1.2.840.113549.1.12.10.1.6";
const X509_CERT = "1.2.840.113549.1.9.22.1";
const PKCS12_PBE = "1.2.840.113549.1.12.1."; // 3DES, RC2, RC4: not in WebCrypto

const subtle = () => globalThis.crypto.subtle;

async function guardAsync(fn, code) {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof NpkiError) throw error;
    throw new NpkiError(code);
  }
}

function guard(fn, code) {
  try {
    return fn();
  } catch (error) {
    if (error instanceof NpkiError) throw error;
    throw new NpkiError(code);
  }
}

// ---- certificate ---------------------------------------------------------------------------

function readString(node) {
  if (node.tag === 0x1e) { // BMPString
    let s = "";
    for (let i = 0; i + 1 < node.value.length; i += 2) {
      s += String.fromCharCode((node.value[i] << 8) | node.value[i + 1]);
    }
    return s;
  }
  return new TextDecoder().decode(node.value);
}

function readTime(node) {
  const text = new TextDecoder().decode(node.value);
  const full = node.tag === 0x17 ? (Number(text.slice(0, 2)) >= 50 ? "19" : "20") + text : text;
  return `${full.slice(0, 4)}-${full.slice(4, 6)}-${full.slice(6, 8)}`;
}

/** The public facts the page needs: RSA modulus/exponent, subject CN, validity dates. */
export function parseCertificate(bytes) {
  if (bytes.length > MAX_FILE_BYTES) throw new NpkiError("file_too_large");
  return guard(() => {
    const cert = der.expect(der.parseAll(bytes), der.SEQUENCE);
    const tbs = der.children(der.expect(der.children(cert)[0], der.SEQUENCE));
    let i = tbs[0].tag === 0xa0 ? 1 : 0; // [0] version
    i += 2; // serialNumber, signature
    const i_subject = i + 2, i_spki = i + 3;
    const validity = der.children(tbs[i + 1]);
    let commonName = "";
    for (const rdn of der.children(tbs[i_subject])) {
      for (const attribute of der.children(rdn)) {
        const [type, value] = der.children(attribute);
        if (der.oid(type) === "2.5.4.3") commonName = readString(value);
      }
    }
    const [algorithm, bits] = der.children(der.expect(tbs[i_spki], der.SEQUENCE));
    if (der.oid(der.children(algorithm)[0]) !== RSA) throw new NpkiError("not_rsa");
    der.expect(bits, der.BIT_STRING);
    const [n, e] = der.children(der.parseAll(bits.value.subarray(1)));
    return {
      der: bytes,
      modulus: der.unsignedBytes(n),
      exponent: der.unsignedBytes(e),
      commonName,
      notBefore: readTime(validity[0]),
      notAfter: readTime(validity[1]),
    };
  }, "not_a_certificate");
}

// ---- password-based decryption -------------------------------------------------------------

export function passwordBytes(password) {
  // Telegram or a paste may leave a line ending; a password never contains one (keyfile.py).
  return new TextEncoder().encode(password.replace(/[\r\n]+$/, ""));
}

function checkIterations(count) {
  if (count < 1 || count > MAX_ITERATIONS) throw new NpkiError("iteration_limit");
  return count;
}

export function pbkdf1Sha1(password, salt, iterations) {
  let digest = sha1(der.concat(password, salt));
  for (let i = 1; i < iterations; i++) digest = sha1(digest);
  return digest;
}

async function pbkdf2(password, salt, iterations, hash, bytes) {
  const base = await subtle().importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = await subtle().deriveBits(
    { name: "PBKDF2", salt, iterations, hash }, base, bytes * 8);
  return new Uint8Array(bits);
}

async function decryptCbc(cipher, key, iv, ciphertext) {
  if (cipher === "seed") return cbcDecrypt(key, iv, ciphertext);
  try {
    const aes = await subtle().importKey("raw", key, { name: "AES-CBC" }, false, ["decrypt"]);
    return new Uint8Array(await subtle().decrypt({ name: "AES-CBC", iv }, aes, ciphertext));
  } catch {
    return null; // bad padding: a wrong password (or a damaged file)
  } finally {
    key.fill(0);
  }
}

/**
 * Decrypt EncryptedPrivateKeyInfo-style data: `algorithm` is the AlgorithmIdentifier node.
 * Returns every plaintext whose padding is valid (the old seedCBC variant has two
 * derivations, docs/certificates.md); the caller decides by parsing.
 */
export async function decryptWithPassword(algorithm, ciphertext, password) {
  const [oidNode, params] = guard(() => der.children(der.expect(algorithm, der.SEQUENCE)),
    "unsupported_format");
  const scheme = guard(() => der.oid(oidNode), "unsupported_format");
  if (scheme === SEED_CBC_WITH_SHA1 || scheme === SEED_CBC) {
    const [saltNode, countNode] = guard(() => der.children(params), "unsupported_format");
    const salt = saltNode.value;
    const iterations = checkIterations(guard(() => der.smallInt(countNode), "unsupported_format"));
    const dk = pbkdf1Sha1(password, salt, iterations);
    const fixedIv = new TextEncoder().encode("0123456789012345");
    const iv = scheme === SEED_CBC_WITH_SHA1 ? sha1(dk.subarray(16, 20)).subarray(0, 16) : fixedIv;
    const results = [cbcDecrypt(dk.subarray(0, 16), iv, ciphertext)];
    if (scheme === SEED_CBC) {
      const key = await pbkdf2(password, salt, iterations, "SHA-1", 16);
      results.push(cbcDecrypt(key, fixedIv, ciphertext));
    }
    dk.fill(0);
    return results.filter((r) => r !== null);
  }
  if (scheme === PBES2) {
    const { salt, iterations, keyLength, prf, cipher, iv } = guard(() => {
      const [kdf, encryption] = der.children(params);
      const [kdfOid, kdfParams] = der.children(kdf);
      if (der.oid(kdfOid) !== PBKDF2) throw new NpkiError("unsupported_format");
      const fields = der.children(kdfParams);
      const out = { salt: der.expect(fields[0], der.OCTET_STRING).value,
        iterations: der.smallInt(fields[1]), keyLength: null, prf: "SHA-1" };
      for (const field of fields.slice(2)) {
        if (field.tag === der.INTEGER) out.keyLength = der.smallInt(field);
        else {
          const name = PRFS[der.oid(der.children(field)[0])];
          if (!name) throw new NpkiError("unsupported_format");
          out.prf = name;
        }
      }
      const [cipherOid, ivNode] = der.children(encryption);
      const spec = CIPHERS[der.oid(cipherOid)];
      if (!spec) throw new NpkiError("unsupported_format");
      out.cipher = spec;
      out.iv = der.expect(ivNode, der.OCTET_STRING).value;
      return out;
    }, "unsupported_format");
    checkIterations(iterations);
    const [name, size] = cipher;
    if (keyLength !== null && keyLength !== size) throw new NpkiError("unsupported_format");
    const key = await pbkdf2(password, salt, iterations, prf, size);
    const plain = await decryptCbc(name, key, iv, ciphertext);
    return plain === null ? [] : [plain];
  }
  if (scheme.startsWith(PKCS12_PBE)) throw new NpkiError("legacy_pfx");
  throw new NpkiError("unsupported_format");
}

// ---- PKCS#8 --------------------------------------------------------------------------------

/**
 * Parse a decrypted PrivateKeyInfo strictly (a wrong password that passed the padding check
 * fails here). Returns {modulus, random, clean}: `clean` is the PKCS#8 without attributes,
 * the form every WebCrypto accepts.
 */
export function parsePrivateKeyInfo(plain) {
  return guard(() => {
    const info = der.expect(der.parseAll(plain), der.SEQUENCE);
    const fields = der.children(info);
    if (der.smallInt(fields[0]) !== 0) throw new Error("version");
    const algorithm = der.children(der.expect(fields[1], der.SEQUENCE));
    if (der.oid(algorithm[0]) !== RSA) throw new NpkiError("not_rsa");
    const rsaKey = der.children(
      der.expect(der.parseAll(der.expect(fields[2], der.OCTET_STRING).value), der.SEQUENCE));
    if (rsaKey.length < 9) throw new Error("short RSAPrivateKey");
    rsaKey.forEach((part) => der.expect(part, der.INTEGER));
    let random = null;
    if (fields.length > 3) {
      for (const attribute of der.children(der.expect(fields[3], 0xa0))) {
        const [type, values] = der.children(attribute);
        if (der.oid(type) === RANDOM_NUM) {
          const bits = der.expect(der.children(values)[0], der.BIT_STRING);
          random = bits.value.slice(1); // leading byte = unused bits (0)
        }
      }
    }
    const clean = der.tlv(der.SEQUENCE,
      der.concat(der.raw(fields[0]), der.raw(fields[1]), der.raw(fields[2])));
    return { modulus: der.unsignedBytes(rsaKey[1]), exponent: der.unsignedBytes(rsaKey[2]),
      random, clean };
  }, "wrong_password");
}

function matches(key, cert) {
  return der.equalBytes(key.modulus, cert.modulus) && der.equalBytes(key.exponent, cert.exponent);
}

/** Pick the plaintext that parses; `wrong_password` when none does. */
function firstKey(plaintexts) {
  for (const plain of plaintexts) {
    try {
      return { plain, ...parsePrivateKeyInfo(plain) };
    } catch (error) {
      if (error.code === "not_rsa") throw error;
    }
  }
  throw new NpkiError("wrong_password");
}

/** signCert.der + signPri.key: {cert, pkcs8 (as decrypted), clean, random}. */
export async function unlockKeyFile(certBytes, keyBytes, password) {
  const cert = parseCertificate(certBytes);
  if (keyBytes.length > MAX_FILE_BYTES) throw new NpkiError("file_too_large");
  const [algorithm, data] = guard(() => {
    const [a, d] = der.children(der.expect(der.parseAll(keyBytes), der.SEQUENCE));
    return [a, der.expect(d, der.OCTET_STRING).value];
  }, "not_a_key");
  const key = firstKey(await decryptWithPassword(algorithm, data, passwordBytes(password)));
  if (!matches(key, cert)) throw new NpkiError("key_mismatch");
  return { cert, pkcs8: key.plain, clean: key.clean, random: key.random };
}

// ---- PKCS#12 -------------------------------------------------------------------------------

async function readSafeContents(bytes, password, found) {
  for (const bag of der.children(der.expect(der.parseAll(bytes), der.SEQUENCE))) {
    const [idNode, valueWrapper] = der.children(bag);
    const id = der.oid(idNode);
    const value = der.children(der.expect(valueWrapper, 0xa0))[0];
    if (id === CERT_BAG) {
      const [certId, certValue] = der.children(value);
      if (der.oid(certId) === X509_CERT) {
        found.certs.push(der.octets(der.children(der.expect(certValue, 0xa0))[0]).slice());
      }
    } else if (id === SHROUDED_KEY_BAG) {
      found.keys.push(der.raw(value));
    } else if (id === KEY_BAG) {
      found.plainKeys.push(der.raw(value));
    } else if (id === SAFE_CONTENTS_BAG) {
      await readSafeContents(der.raw(value), password, found);
    }
  }
}

/** A .pfx/.p12 export protected with PBES2 (OpenSSL 3, recent Windows): same result shape. */
export async function unlockPfx(pfxBytes, password) {
  if (pfxBytes.length > MAX_FILE_BYTES) throw new NpkiError("file_too_large");
  const pw = passwordBytes(password);
  const found = { certs: [], keys: [], plainKeys: [] };
  let contentInfos;
  try {
    const pfx = der.children(der.expect(der.parseAll(pfxBytes), der.SEQUENCE));
    if (der.smallInt(pfx[0]) !== 3) throw new Error("version");
    const [type, content] = der.children(pfx[1]);
    if (der.oid(type) !== P7_DATA) throw new Error("signed PFX");
    const authSafe = der.octets(der.children(der.expect(content, 0xa0))[0]);
    contentInfos = der.children(der.expect(der.parseAll(authSafe), der.SEQUENCE));
  } catch {
    throw new NpkiError("not_a_pfx");
  }
  for (const info of contentInfos) {
    const [type, wrapper] = guard(() => der.children(info), "not_a_pfx");
    const kind = guard(() => der.oid(type), "not_a_pfx");
    const inner = guard(() => der.children(der.expect(wrapper, 0xa0))[0], "not_a_pfx");
    if (kind === P7_DATA) {
      await guardAsync(() => readSafeContents(der.octets(inner), pw, found), "not_a_pfx");
    } else if (kind === P7_ENCRYPTED) {
      const [algorithm, data] = guard(() => {
        const encryptedContent = der.children(der.children(inner)[1]);
        return [encryptedContent[1], der.octets(encryptedContent[2])];
      }, "not_a_pfx");
      const plain = await decryptWithPassword(algorithm, data, pw);
      let read = false;
      for (const candidate of plain) {
        try {
          await readSafeContents(candidate, pw, found);
          read = true;
          break;
        } catch (error) {
          if (error instanceof NpkiError) throw error;
        }
      }
      if (!read) throw new NpkiError("wrong_password");
    } else {
      throw new NpkiError("unsupported_format");
    }
  }
  const keys = found.plainKeys.map((k) => ({ plain: k, ...parsePrivateKeyInfo(k) }));
  for (const blob of found.keys) {
    const [algorithm, data] = guard(() => {
      const [a, d] = der.children(der.parseAll(blob));
      return [a, der.expect(d, der.OCTET_STRING).value];
    }, "not_a_pfx");
    keys.push(firstKey(await decryptWithPassword(algorithm, data, pw)));
  }
  if (keys.length === 0) throw new NpkiError("pfx_no_key");
  if (found.certs.length === 0) throw new NpkiError("pfx_no_certificate");
  for (const certBytes of found.certs) {
    let cert;
    try { cert = parseCertificate(certBytes); } catch { continue; } // CA certs may be other types
    const key = keys.find((k) => matches(k, cert));
    if (key) return { cert, pkcs8: key.plain, clean: key.clean, random: key.random };
  }
  throw new NpkiError("key_mismatch");
}

// ---- proof of possession -------------------------------------------------------------------

export function signedMessage(challenge) {
  return der.concat(new TextEncoder().encode(SIGNATURE_LABEL), challenge);
}

/** RSASSA-PKCS1-v1_5 / SHA-256 over label || challenge, with a non-extractable key. */
export async function signChallenge(cleanPkcs8, challenge) {
  let key;
  try {
    key = await subtle().importKey("pkcs8", cleanPkcs8,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
  } catch {
    throw new NpkiError("key_unusable");
  }
  return new Uint8Array(await subtle().sign("RSASSA-PKCS1-v1_5", key, signedMessage(challenge)));
}
