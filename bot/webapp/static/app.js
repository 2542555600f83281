// The Mini App page: pick files, type the password, unlock and sign on the device, register.
// Requests carry only initData, the certificate, the challenge id and the signature; the
// identity endpoint alone receives R and the typed number. No third-party script.

import { NpkiError, parseCertificate, unlockKeyFile, unlockPfx, signChallenge } from "./npki.js";

const $ = (id) => document.getElementById(id);
const FAILURES_KEY = "kcert-webapp-failures";
let texts = {};
let lang = "ko";
let maxAttempts = 5;
let identityRequired = false;
let locked = false;

function readInitData() {
  const hash = new URLSearchParams(location.hash.slice(1));
  const fromHash = hash.get("tgWebAppData");
  if (fromHash) return fromHash;
  const webApp = globalThis.Telegram && globalThis.Telegram.WebApp;
  return webApp && webApp.initData ? webApp.initData : "";
}

const initData = readInitData();

function languageOf(data) {
  try {
    const user = JSON.parse(new URLSearchParams(data).get("user") || "{}");
    return typeof user.language_code === "string" && user.language_code.startsWith("en")
      ? "en" : "ko";
  } catch {
    return "ko";
  }
}

function t(key, values = {}) {
  const template = (texts[lang] && texts[lang][key]) || texts.ko[key] || key;
  return template.replace(/\{(\w+)\}/g, (_, name) => (name in values ? values[name] : ""));
}

function show(message, kind = "") {
  const status = $("status");
  status.textContent = message;
  status.className = `status ${kind}`;
}

function showError(code, values = {}) {
  const key = `error.${code}`;
  show(texts.ko[key] ? t(key, values) : t("error.generic"), "error");
}

function b64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function unb64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

class ServerRefusal extends Error {
  constructor(body) {
    super(body.code);
    this.body = body;
  }
}

async function api(path, payload) {
  let response;
  try {
    response = await fetch(`api/${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ initData, ...payload }),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ServerRefusal({ code: "network" });
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ServerRefusal({ code: "generic" });
  }
  if (!response.ok || !body.ok) throw new ServerRefusal(body);
  return body;
}

async function readFiles() {
  const files = [...$("files").files];
  const picked = { cert: null, key: null, pfx: null };
  for (const file of files) {
    if (file.size > 64 * 1024) throw new NpkiError("file_too_large");
    const bytes = new Uint8Array(await file.arrayBuffer());
    const name = file.name.toLowerCase();
    if (name.endsWith(".pfx") || name.endsWith(".p12")) { picked.pfx = bytes; continue; }
    try {
      parseCertificate(bytes);
      if (!picked.cert || name.includes("sign")) picked.cert = bytes;
    } catch {
      if (!picked.key || name.includes("sign")) picked.key = bytes;
    }
  }
  return picked;
}

async function describePick() {
  try {
    const picked = await readFiles();
    if (picked.pfx) {
      $("picked").textContent = t("picked_pfx");
    } else if (picked.cert && picked.key) {
      $("picked").textContent = t("picked_pair", { cert: parseCertificate(picked.cert).commonName });
    } else {
      $("picked").textContent = $("files").files.length ? t("picked_missing") : "";
    }
    $("submit").disabled = !(picked.pfx || (picked.cert && picked.key));
  } catch (error) {
    $("picked").textContent = "";
    showError(error.code || "generic");
  }
}

function failures() {
  return Number(sessionStorage.getItem(FAILURES_KEY) || "0");
}

async function wrongPassword(certificate) {
  const count = failures() + 1;
  sessionStorage.setItem(FAILURES_KEY, String(count));
  if (count < maxAttempts) {
    showError("wrong_password", { remaining: maxAttempts - count });
    return;
  }
  // The limit: ask the server to lock, as the chat flow does after the fifth wrong password.
  try {
    await api("lock", certificate ? { certificate: b64(certificate) } : {});
  } catch {
    // the page stays locked below either way
  }
  sessionStorage.removeItem(FAILURES_KEY);
  locked = true;
  showError("locked");
}

async function submit(event) {
  event.preventDefault();
  $("submit").disabled = true;
  show(t("working"));
  const passwordField = $("password");
  let unlocked = null;
  let certForLock = null;
  try {
    const picked = await readFiles();
    certForLock = picked.cert;
    const challenge = await api("challenge", {});
    maxAttempts = challenge.maxAttempts || maxAttempts;
    const password = passwordField.value;
    unlocked = picked.pfx
      ? await unlockPfx(picked.pfx, password)
      : await unlockKeyFile(picked.cert, picked.key, password);
    passwordField.value = "";
    sessionStorage.removeItem(FAILURES_KEY);
    const certificate = b64(unlocked.cert.der);
    if (challenge.identityRequired) {
      const numberField = $("identity-number");
      const number = numberField.value;
      await api("identity", {
        challengeId: challenge.challengeId,
        certificate,
        random: unlocked.random ? b64(unlocked.random) : null,
        identityNumber: number,
      });
      numberField.value = "";
    }
    const signature = await signChallenge(unlocked.clean, unb64(challenge.challenge));
    const result = await api("register", {
      challengeId: challenge.challengeId,
      certificate,
      signature: b64(signature),
    });
    show(t("registered", { owner: result.owner || unlocked.cert.commonName }), "ok");
    $("form").hidden = true;
  } catch (error) {
    if (error instanceof ServerRefusal) {
      showError(error.body.code, error.body);
    } else if (error instanceof NpkiError && error.code === "wrong_password") {
      await wrongPassword(certForLock);
    } else {
      showError(error.code || "generic");
    }
  } finally {
    if (unlocked) { // best effort: the decrypted key does not linger in this page's memory
      unlocked.pkcs8.fill(0);
      unlocked.clean.fill(0);
      if (unlocked.random) unlocked.random.fill(0);
    }
    $("submit").disabled = locked || $("form").hidden;
  }
}

async function start() {
  texts = await (await fetch("static/texts.json", { cache: "no-store" })).json();
  lang = languageOf(initData);
  document.documentElement.lang = lang;
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-text]")) {
    node.textContent = t(node.dataset.text);
  }
  if (!initData) {
    show(t("no_init_data"), "error");
    $("form").hidden = true;
    return;
  }
  identityRequired = document.body.dataset.identity === "1";
  $("identity").hidden = !identityRequired;
  $("files").addEventListener("change", describePick);
  $("form").addEventListener("submit", submit);
  document.body.dataset.ready = "1";
}

start();
