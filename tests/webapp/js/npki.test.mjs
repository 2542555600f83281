// The page's key handling against files and PKCS#8 made by the Python core (bot.certs.testgen).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createPublicKey, verify } from "node:crypto";
import { parseCertificate, unlockKeyFile, unlockPfx, signChallenge, signedMessage }
  from "../../../bot/webapp/static/npki.js";

const b64 = (s) => (s === null ? null : Uint8Array.from(Buffer.from(s, "base64")));
const vectorsPath = process.env.WEBAPP_VECTORS;
const vectors = vectorsPath ? JSON.parse(readFileSync(vectorsPath, "utf8")) : { cases: [] };

for (const c of vectors.cases) {
  test(`unlock: ${c.name}`, async () => {
    const run = () => (c.pfx
      ? unlockPfx(b64(c.pfx), c.password)
      : unlockKeyFile(b64(c.cert), b64(c.key), c.password));
    if (c.expect !== "ok") {
      await assert.rejects(run, (error) => error.code === c.expect);
      return;
    }
    const result = await run();
    assert.deepEqual(result.pkcs8, b64(c.pkcs8), "decrypted PKCS#8 differs from Python's");
    assert.deepEqual(result.cert.der, b64(c.cert));
    assert.deepEqual(result.random, b64(c.random));
    // the signature verifies with the certificate's public key (Node's OpenSSL)
    const challenge = crypto.getRandomValues(new Uint8Array(32));
    const signature = await signChallenge(result.clean, challenge);
    const publicKey = createPublicKey(certToPem(b64(c.cert)));
    assert.ok(verify("sha256", signedMessage(challenge), publicKey, signature));
  });
}

function certToPem(der) {
  const body = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

test("a file that is not a certificate", () => {
  assert.throws(() => parseCertificate(new Uint8Array([0x30, 0x03, 1, 2, 3])),
    (error) => error.code === "not_a_certificate");
});
