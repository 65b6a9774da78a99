/* fundvote /verify: the browser's own check of a receipt (issue 11, item 6).

   The result page carries the receipt text and the translated messages in data attributes of
   #browser-check (no inline script: the site's CSP forbids it). This module fetches the
   published keys, the log's signed checkpoint and its hash tiles from this site, runs the
   checks of receipt-check.js and writes each outcome into the panel. Without JavaScript the
   panel stays hidden and the server's check (when the site shows it) is all there is. */

import {
  checkReceiptSignature,
  ed25519Engine,
  fromHex,
  openCheckpoint,
  proveInclusion,
  tileReader,
  trustedKeys,
} from "./receipt-check.js";

const FETCH = { credentials: "omit", cache: "no-store" };

async function fetchBytes(url) {
  const response = await fetch(url, FETCH);
  if (response.status === 404) return null;
  if (!response.ok) throw new Error("fetch " + url);
  return new Uint8Array(await response.arrayBuffer());
}

async function fetchText(url) {
  const body = await fetchBytes(url);
  return body === null ? null : new TextDecoder().decode(body);
}

/** The receipt's fields the checks need, or null if the text is not such a receipt. */
function readReceipt(text) {
  let receipt;
  try {
    receipt = JSON.parse(text.trim().replace(/^\uFEFF/, ""));
  } catch (error) {
    return null;
  }
  const log = receipt && receipt.log;
  if (!log || typeof receipt.community !== "string" || !Number.isSafeInteger(log.index)) {
    return null;
  }
  const leaf = fromHex(log.leaf_hash);
  if (log.index < 0 || leaf === null || leaf.length !== 32) return null;
  return { receipt, index: log.index, leaf, origin: log.origin };
}

async function check(panel) {
  const say = JSON.parse(panel.dataset.messages);
  const summary = panel.querySelector("[data-role=summary]");
  const note = panel.querySelector("[data-role=engine]");

  function show(name, state, key) {
    const line = panel.querySelector('[data-check="' + name + '"]');
    line.className = state;
    line.textContent = say[key];
  }
  function finish(state, key) {
    summary.className = "browser-summary " + state;
    summary.textContent = say[key];
    panel.dataset.state = state; // "yes", "no" or "wait": for tests and styles
    const engine = ed25519Engine();
    if (engine) note.textContent = say["engine-" + engine];
  }

  panel.hidden = false;
  if (!window.crypto || !crypto.subtle || !window.fetch || !window.TextEncoder) {
    finish("no", "unsupported");
    return;
  }
  const read = readReceipt(panel.dataset.receipt || "");
  if (read === null) {
    finish("no", "malformed");
    return;
  }
  try {
    // 1. The receipt's signature, with the published key its key ID names.
    const keys = await trustedKeys(JSON.parse(await fetchText(panel.dataset.keysUrl)));
    const signature = await checkReceiptSignature(read.receipt, keys);
    show("signature", signature === "ok" ? "yes" : "no", "signature-" + signature);

    // 2. The log's latest signed checkpoint, of the log the receipt names.
    const base = panel.dataset.logUrl.replace("__community__", encodeURIComponent(read.receipt.community));
    const text = await fetchText(base + "checkpoint");
    const checkpoint = text === null ? null : await openCheckpoint(text, keys);
    let checkpointState = "ok";
    if (checkpoint === null) checkpointState = "bad";
    else if (checkpoint.origin !== read.origin) checkpointState = "origin";
    show("checkpoint", checkpointState === "ok" ? "yes" : "no", "checkpoint-" + checkpointState);

    // 3. The entry's inclusion in that checkpoint, from the public hash tiles.
    let inclusion = "skipped";
    if (checkpointState === "ok") {
      const reader = tileReader(base, checkpoint.size, fetchBytes);
      inclusion = await proveInclusion(reader, read.index, checkpoint.size, read.leaf, checkpoint.root);
    }
    const states = { ok: "yes", pending: "wait", skipped: "wait" };
    show("inclusion", states[inclusion] || "no", "inclusion-" + inclusion);

    if (signature === "ok" && checkpointState === "ok" && inclusion === "ok") finish("yes", "all-ok");
    else if (signature === "ok" && checkpointState === "ok" && inclusion === "pending") finish("wait", "pending");
    else finish("no", "problem");
  } catch (error) {
    finish("no", "network");
  }
}

const panel = document.getElementById("browser-check");
if (panel) check(panel);
