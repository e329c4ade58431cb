// hvlab's service worker: the lab works offline after its first visit, one whole build at a time.
//
// `hvlab web build` writes sw.js as `const BUILD = {id, files: {path: SHA-256}, hashed: [folder]}`
// followed by this file (it is not bundled), so each build has a service worker of its own
// bytes: a browser checks sw.js at every visit, past its HTTP cache, and installs the new one
// when a new build was deployed.
//
//   install   copies every file of BUILD into the cache "hvlab-<id>". A file an older build's
//             cache holds with the same hash is copied from there (an update downloads only what
//             changed); the rest is fetched and its SHA-256 checked. A file of another build (the
//             site changed again meanwhile) fails the install, and the browser tries again at a
//             later visit: a cache holds one whole build, or is never used.
//   activate  once no page of the older build is open, or when the page asks ("activate": the
//             student chose to reload into the new build); deletes the older builds' caches.
//   fetch     a file of BUILD from the cache (a navigation to the site's folder gets index.html),
//             but a content folder's file (pyodide/HASH/...) from the browser's HTTP cache while
//             it has it, else from the cache (see `immutable`); anything else (source maps,
//             another origin) goes to the network as it would without this worker.
//
// The page's side is web/src/offline.js: it registers this worker once the lab is up and reloads
// when a new one takes it over, so a page never mixes the files of two builds.

/* global BUILD */
const CACHE_PREFIX = "hvlab-";
const CACHE = `${CACHE_PREFIX}${BUILD.id}`;
const SCOPE = new URL("./", self.location.href).href; // the site's folder: sw.js sits at its root
// In each build's cache, next to its files: their hashes ({path: SHA-256}), written last. The
// responses themselves are kept as they came (with their URL: the browser keeps compiled wasm
// for a response it can name, so a warm load runs the optimised interpreter at once).
const INDEX = new URL("hvlab-build-files.json", SCOPE).href;

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
const sha256 = async (buffer) => hex(await crypto.subtle.digest("SHA-256", buffer));

/** An older build's copy of `path` with this hash, or null. */
async function reuse(path, hash) {
  for (const name of await caches.keys()) {
    if (!name.startsWith(CACHE_PREFIX) || name === CACHE) continue;
    const cache = await caches.open(name);
    const index = await (await cache.match(INDEX))?.json().catch(() => null);
    if (index?.[path] === hash) {
      const found = await cache.match(new URL(path, SCOPE).href);
      if (found) return found;
    }
  }
  return null;
}

/** `path` from the server, checked against its hash. A content folder's file may come from the
 *  HTTP cache as it is (its name changes with its bytes); an entry point is revalidated. */
async function download(path, hash) {
  const immutable = BUILD.hashed.some((folder) => path.startsWith(folder));
  for (const cache of immutable ? ["force-cache", "reload"] : ["no-cache", "reload"]) {
    const response = await fetch(new URL(path, SCOPE), { cache });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    if ((await sha256(await response.clone().arrayBuffer())) === hash) return response;
  }
  throw new Error(`${path} on the server is not build ${BUILD.id}'s: the site changed meanwhile`);
}

async function precache() {
  await caches.delete(CACHE); // what an interrupted install of this build left
  const cache = await caches.open(CACHE);
  await Promise.all(
    Object.entries(BUILD.files).map(async ([path, hash]) => {
      const response = (await reuse(path, hash)) ?? (await download(path, hash));
      await cache.put(new URL(path, SCOPE).href, response);
    }),
  );
  await cache.put(INDEX, new Response(JSON.stringify(BUILD.files), { headers: { "Content-Type": "application/json" } }));
}

self.addEventListener("install", (event) => event.waitUntil(precache()));

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((names) =>
      Promise.all(names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE).map((n) => caches.delete(n))),
    ),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "activate") self.skipWaiting();
  if (event.data === "build") event.ports[0]?.postMessage(BUILD.id);
});

/** The file of BUILD a request asks for, or null: its path in the site, without query or fragment. */
function fileOf(request) {
  if (request.method !== "GET" || !request.url.startsWith(SCOPE)) return null;
  const path = request.url.slice(SCOPE.length).replace(/[?#].*$/, "");
  if (request.mode === "navigate" && path === "") return "index.html";
  return Object.hasOwn(BUILD.files, path) ? path : null;
}

/** This build's copy of `path`; the network if the browser evicted the cache (storage pressure). */
async function kept(path, request) {
  const found = await (await caches.open(CACHE)).match(new URL(path, SCOPE).href);
  return found ?? fetch(request);
}

/** A content folder's file is the same bytes wherever it comes from (its name says so). First
 *  the browser's HTTP cache, however old its copy (never revalidated): with it comes the wasm
 *  the browser compiled last time (a response from this worker's cache has none, and a warm
 *  load would run the interpreter unoptimised for its first seconds). Then this worker's copy:
 *  the HTTP cache may not hold a file this big (a private window's cache lives in memory), and
 *  a host that sends the wasm as it is (9.6 MB) must not send it at every visit. The network
 *  last (the browser evicted this worker's cache under storage pressure). */
async function immutable(path, request) {
  const url = new URL(path, SCOPE).href;
  try {
    const cached = await fetch(url, { cache: "only-if-cached", mode: "same-origin" });
    if (cached.ok) return cached;
  } catch {
    // not in the HTTP cache
  }
  const kept = await (await caches.open(CACHE)).match(url);
  if (kept) return kept;
  try {
    const response = await fetch(request);
    if (response.ok) return response;
  } catch {
    // offline
  }
  return Response.error();
}

self.addEventListener("fetch", (event) => {
  const path = fileOf(event.request);
  if (path === null) return; // not this build's: the network, as without a service worker
  const hashed = BUILD.hashed.some((folder) => path.startsWith(folder));
  event.respondWith(hashed ? immutable(path, event.request) : kept(path, event.request));
});
