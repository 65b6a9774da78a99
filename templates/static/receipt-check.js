/* fundvote: check a voting receipt in the owner's own browser, trusting no answer of the server.

   Pure steps, each usable on its own (the page's wiring is in verify.js):
   - canonicalJson: RFC 8785 (JCS) text of the values a receipt holds;
   - verifyEd25519: WebCrypto where the browser has Ed25519, else the vendored noble-ed25519;
   - openNote: a C2SP signed note (the log's checkpoint) checked against the published keys;
   - proveInclusion: an RFC 6962 inclusion proof built from the log's C2SP tlog-tiles hash
     tiles (height 8), checked against the checkpoint's root.
   Everything is fetched from this site only; no file from elsewhere is loaded. */

const encoder = new TextEncoder();
const NOBLE = "./vendor/noble-ed25519-3.2.0.js"; // loaded only when WebCrypto lacks Ed25519

/* ---- bytes ------------------------------------------------------------------------------- */

export function fromBase64(text) {
  const raw = atob(text); // throws on anything that is not base64
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/* ---- RFC 8785 canonical JSON --------------------------------------------------------------- */

/** The JCS text of a parsed JSON value. Strings and numbers serialise as ECMAScript's
    JSON.stringify does (which RFC 8785 adopts); object keys sort by UTF-16 code units, which is
    what Array.prototype.sort compares by default. */
export function canonicalJson(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("not a JSON number");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return "[" + value.map(canonicalJson).join(",") + "]";
  }
  if (typeof value === "object") {
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(value[k])).join(",") + "}";
  }
  throw new Error("not a JSON value");
}

/* ---- Ed25519 and keys ---------------------------------------------------------------------- */

let engine = null; // "webcrypto" or "noble", once a signature has been checked

/** Which Ed25519 implementation ran ("webcrypto", "noble" or null before any check). */
export function ed25519Engine() {
  return engine;
}

/** Whether ``signature`` is the Ed25519 signature of ``message`` by ``publicKey`` (bytes). */
export async function verifyEd25519(publicKey, signature, message) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  let key = null;
  try {
    key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch (error) {
    key = null; // this browser's WebCrypto has no Ed25519
  }
  if (key !== null) {
    engine = "webcrypto";
    try {
      return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
    } catch (error) {
      return false;
    }
  }
  const noble = await import(NOBLE);
  engine = "noble";
  try {
    // zip215: false is RFC 8032's strict rule, as the server's check applies.
    return await noble.verifyAsync(signature, message, publicKey, { zip215: false });
  } catch (error) {
    return false;
  }
}

/** The 4-byte C2SP signed-note key ID: SHA-256(name || "\n" || 0x01 || public key)[:4]. */
export async function keyId(name, publicKey) {
  const digest = await sha256(concat(encoder.encode(name + "\n"), Uint8Array.of(1), publicKey));
  return digest.slice(0, 4);
}

/** The published keys (from /.well-known/fundvote/keys) whose key ID, recomputed here from
    name and key, matches the one they are published with: [{name, id (hex), publicKey}]. */
export async function trustedKeys(published) {
  const keys = [];
  for (const record of published.keys || []) {
    try {
      const publicKey = fromBase64(record.public_key);
      const id = toHex(await keyId(record.name, publicKey));
      if (publicKey.length === 32 && id === record.key_id) {
        keys.push({ name: record.name, id, publicKey });
      }
    } catch (error) {
      // a malformed record is simply not trusted
    }
  }
  return keys;
}

/* ---- the receipt's signature --------------------------------------------------------------- */

/** "ok", "no-key" (no published key has the receipt's key ID) or "bad". The signature covers the
    canonical JSON of the receipt without its "signature" member (voting/receipts.py). */
export async function checkReceiptSignature(receipt, keys) {
  const sig = receipt.signature || {};
  const key = keys.find((k) => k.id === sig.key_id);
  if (!key) return "no-key";
  if (sig.alg !== "Ed25519" || typeof sig.sig !== "string") return "bad";
  const body = Object.assign({}, receipt);
  delete body.signature;
  let signature;
  try {
    signature = fromBase64(sig.sig);
  } catch (error) {
    return "bad";
  }
  const ok = await verifyEd25519(key.publicKey, signature, encoder.encode(canonicalJson(body)));
  return ok ? "ok" : "bad";
}

/* ---- the signed checkpoint (C2SP signed-note + tlog-checkpoint) ---------------------------- */

/** The checkpoint {origin, size, root} of a signed note if a trusted key signed it, else null.
    The note is its text (ending in a newline), a blank line, then lines
    "— <key name> <base64(4-byte key ID || signature)>"; the signature covers the text. */
export async function openCheckpoint(note, keys) {
  const split = note.lastIndexOf("\n\n");
  if (split < 0) return null;
  const text = note.slice(0, split + 1);
  let verified = false;
  for (const line of note.slice(split + 2).split("\n")) {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match) continue;
    let blob;
    try {
      blob = fromBase64(match[2]);
    } catch (error) {
      continue;
    }
    const id = toHex(blob.slice(0, 4));
    const key = keys.find((k) => k.name === match[1] && k.id === id);
    if (key && (await verifyEd25519(key.publicKey, blob.slice(4), encoder.encode(text)))) {
      verified = true;
      break;
    }
  }
  if (!verified) return null;
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) return null;
  const size = Number(lines[1]);
  let root;
  try {
    root = fromBase64(lines[2]);
  } catch (error) {
    return null;
  }
  if (!Number.isSafeInteger(size) || root.length !== 32) return null;
  return { origin: lines[0], size, root };
}

/* ---- inclusion, from the hash tiles (C2SP tlog-tiles, RFC 6962 hashing) -------------------- */

const TILE = 256; // hashes in a full tile: tile height 8

function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

/** A tile index in the spec's path form: 1234067 -> "x001/x234/067". */
export function tileIndexPath(n) {
  let digits = String(n);
  digits = digits.padStart(Math.ceil(digits.length / 3) * 3, "0");
  const parts = digits.match(/.{3}/g);
  return parts.map((p, i) => (i < parts.length - 1 ? "x" + p : p)).join("/");
}

/** The tree's hashes, read from the tiles under ``base`` (".../log/<community>/") of a tree of
    ``size`` leaves, with ``fetchBytes(url)`` returning the body (or null for a 404). */
export function tileReader(base, size, fetchBytes) {
  const tiles = new Map();

  async function tile(level, index) {
    // Tile level L holds the hashes of tree level 8L; count of them is floor(size / 256^L).
    const count = Math.floor(size / TILE ** level);
    const width = Math.min(TILE, count - index * TILE);
    const full = base + "tile/" + level + "/" + tileIndexPath(index);
    const url = width < TILE ? full + ".p/" + width : full;
    if (!tiles.has(url)) {
      tiles.set(url, (async () => {
        let body = await fetchBytes(url);
        if (body === null && width < TILE) body = await fetchBytes(full); // partial gone: full
        if (body === null || body.length < width * 32) throw new Error("tile " + url);
        return body;
      })());
    }
    return tiles.get(url);
  }

  /** The hash of the perfect subtree of 2^level leaves starting at leaf index * 2^level. */
  async function node(level, index) {
    const tileLevel = Math.floor(level / 8);
    const inside = level % 8; // levels to hash up inside the tile
    const first = index * 2 ** inside; // first hash at tree level 8 * tileLevel
    const body = await tile(tileLevel, Math.floor(first / TILE));
    let hashes = [];
    for (let i = 0; i < 2 ** inside; i++) {
      const at = (first % TILE + i) * 32;
      hashes.push(body.slice(at, at + 32));
    }
    while (hashes.length > 1) {
      const up = [];
      for (let i = 0; i < hashes.length; i += 2) up.push(await nodeHash(hashes[i], hashes[i + 1]));
      hashes = up;
    }
    return hashes[0];
  }

  return { node };
}

// Plain arithmetic, not bit operators: those cut numbers to 32 bits, and logs may grow past that.
function split(n) {
  // the largest power of two smaller than n (n >= 2)
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function levelOf(n) {
  // log2(n) when n is a power of two, else -1
  let level = 0;
  for (let k = 1; k < n; k *= 2) level++;
  return 2 ** level === n ? level : -1;
}

/** RFC 6962 MTH of the ``n`` leaves from ``start`` (aligned as the recursion makes them). */
async function subtreeHash(reader, start, n) {
  const level = levelOf(n);
  if (level >= 0) return reader.node(level, start / n);
  const k = split(n);
  return nodeHash(await subtreeHash(reader, start, k), await subtreeHash(reader, start + k, n - k));
}

/** RFC 6962 PATH(m, D[start : start + n]): the audit path of leaf m, bottom up. */
async function auditPath(reader, m, start, n) {
  if (n === 1) return [];
  const k = split(n);
  if (m < k) {
    return [...(await auditPath(reader, m, start, k)), await subtreeHash(reader, start + k, n - k)];
  }
  return [...(await auditPath(reader, m - k, start + k, n - k)), await subtreeHash(reader, start, k)];
}

/** The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or null if it cannot be one. */
export async function rootFromProof(index, size, leaf, proof) {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** "ok", "pending" (the checkpoint does not cover the entry yet), "leaf-hash" (the log's leaf
    at the index is another one) or "root" (the proof does not reach the checkpoint's root). */
export async function proveInclusion(reader, index, size, leafHash, root) {
  if (index >= size) return "pending";
  if (!equal(await reader.node(0, index), leafHash)) return "leaf-hash";
  const proof = await auditPath(reader, index, 0, size);
  const computed = await rootFromProof(index, size, leafHash, proof);
  return computed !== null && equal(computed, root) ? "ok" : "root";
}

/** Hex text to bytes, or null if it is not an even number of hex digits. */
export function fromHex(text) {
  if (typeof text !== "string" || !/^([0-9a-fA-F]{2})*$/.test(text)) return null;
  return Uint8Array.from(text.match(/../g) || [], (h) => parseInt(h, 16));
}
