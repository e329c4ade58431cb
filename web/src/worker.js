// The lab's engine in a module worker: Pyodide, the hvlab wheels, the lessons, one Session.
//
// The page talks to it only through web/src/client.js (class Lab). Messages in:
//   {type: "boot", progress}            load everything; progress = the saved progress text or null
//   {type: "call", id, method, args}    one Session method (web.bridge.Bridge.call): the protocol
//                                       of docs/reference/protocol.md
//   {type: "pcap"|"import"|"bench", id, ...}
// Messages out: {type: "status", text}, {type: "ready", progress, problem, timings, snapshot, preview},
//   {type: "reply", id, ok, value | kind+message, progress}, {type: "frame", frame},
//   {type: "progress", progress}, {type: "reloaded", reloaded}, {type: "crash", message}.
// A preview site (hvlab lessons preview: the manifest names `preview`) has lessons that change
// while it is served: the worker polls their stamp and, when it changes, unpacks the lessons
// again and asks the session to `reload` ("reloaded": the Reloaded record). Its "ready" says
// `preview`, and the page then keeps no offline copy (its lessons would go stale in it).
// While the session's guests run (the page called `play`), the run loop calls Session.advance:
// the session runs one slice, evaluates the checks when due and, when a frame is due, the loop
// posts it. Between turns it yields to the event loop (a MessageChannel round trip, not
// setTimeout's 4 ms clamp), so a `pause` or any call gets in between slices; when every guest
// waits the session says how long to wait. The rules are the session's, not this file's.

const HOME = "/home/pyodide"; // Python's working directory: the wheels unpack here (on sys.path)
const COURSE = `${HOME}/course`; // lessons/ (scenarios and guest programs come with the hvlab wheel)
let pyodide = null;
let bridge = null;
let looping = false; // the run loop is going (one at a time)

const post = (message) => self.postMessage(message);
const status = (text) => post({ type: "status", text });

// ---------------------------------------------------------------- yielding

const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();
const yieldNow = () =>
  new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- boot
//
// A cold boot starts Python (~3 s of Pyodide's own start-up), installs the wheels and the
// lessons, imports the engine and parses the lessons, then copies the interpreter's memory
// (Pyodide's memory snapshot) into the browser's storage. A warm boot restores that memory
// instead: Python starts with the engine imported and the lessons parsed, in under a second.
// Both then run the same tail (the Bridge with the student's progress), so the student's
// seed and progress never come from the snapshot. The snapshot is keyed by Pyodide's version
// and the manifest's `engine` hash (the wheels, the lessons, Pyodide, this file): a rebuilt
// site never restores an old one. A cold boot saves its snapshot before the page hears "ready"
// (a fraction of a second): a student who closes the tab as soon as the lessons show still
// gets a warm boot next time. It is written under another name and then moved into place, so a
// tab closed while it is written leaves no damaged snapshot, and never touches a good one.

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

const SNAPSHOT_DIR = "hvlab-engine"; // in the origin private file system
const SNAPSHOT_FORMAT = 1; // bump when what the worker puts in the snapshot changes
// A snapshot file: a 64-byte header (the magic, the SHA-256 of all that follows, the length
// of Pyodide's snapshot), Pyodide's snapshot, then the installed files: the length of a JSON
// list of [path, bytes], the list, and the files' bytes one after the other.
const MAGIC = "HVLABSN1";
const HEADER = 64;
const PARTIAL = ".partial-"; // a snapshot being written: `<name>.partial-<random>`, moved to <name> when whole

// Python run once before the snapshot: everything the first screens need, imported, and the
// lessons parsed (lab.lesson.parser keeps them by path and text: the Session's own parse after
// a restore finds them there, as the lesson files are the same bytes; the snapshot's key says so).
const PRIME = `
def _hvlab_prime(lessons_dir):
    import lab.cpu.interp, lab.cpu.translate, web.bridge  # noqa: F401
    from lab.lesson.parser import LessonError, find_lessons, parse_lesson
    for path in find_lessons([lessons_dir]):
        try:
            parse_lesson(path)
        except LessonError:
            pass  # the Session parses it again and reports the problem itself

_hvlab_prime(${JSON.stringify(`${COURSE}/lessons`)})
del _hvlab_prime
`;
// Python run first after a restore: every restore starts from the same memory, so `random`
// (if imported) would repeat its numbers; reseed it from the system. (The student's seed comes
// from `secrets`, the system's randomness, anyway; str hashes stay the snapshot's.)
const RESTORED = `
import sys
if "random" in sys.modules:
    sys.modules["random"].seed()
`;

const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Where a snapshot is kept: a file in the origin private file system (OPFS), which reads
 *  back 30 MB in ~30 ms from a worker (Cache Storage took ~130 ms). A page on http:// other
 *  than localhost has none: every boot there is a cold one. */
class SnapshotStore {
  /** The store for this build, or null; `dir` = the promise of the snapshot directory. */
  static async open(dir, manifest) {
    if (!manifest.engine) return null;
    try {
      const name = `engine-${SNAPSHOT_FORMAT}-${manifest.pyodide}-${manifest.engine}.snapshot`;
      return new SnapshotStore(await dir, name);
    } catch {
      return null; // storage disabled
    }
  }

  static directory() {
    if (!navigator.storage?.getDirectory) return Promise.reject(new Error("no OPFS"));
    const root = navigator.storage.getDirectory();
    return root.then((dir) => dir.getDirectoryHandle(SNAPSHOT_DIR, { create: true }));
  }

  constructor(dir, name) {
    this.dir = dir;
    this.name = name;
  }

  /** The kept snapshot file of this build (not read yet), or null. */
  find() {
    return this.dir.getFileHandle(this.name).catch(() => null);
  }

  /** The file's parts, checked against the digest written with them: {memory, files}. */
  static async read(file) {
    let bytes;
    if (file.createSyncAccessHandle) {
      const access = await file.createSyncAccessHandle().catch((error) => {
        const busy = new Error(`the saved engine snapshot is in use (${error.message})`);
        throw Object.assign(busy, { busy: true }); // another tab reads or writes it: not damaged
      });
      try {
        bytes = new Uint8Array(access.getSize());
        access.read(bytes, { at: 0 });
      } finally {
        access.close();
      }
    } else {
      bytes = new Uint8Array(await (await file.getFile()).arrayBuffer());
    }
    const magic = new TextEncoder().encode(MAGIC);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.subarray(HEADER)));
    if (!sameBytes(bytes.subarray(0, magic.length), magic) || !sameBytes(bytes.subarray(8, 40), digest)) {
      throw new Error("the saved engine snapshot is damaged");
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const end = HEADER + view.getUint32(40, true);
    const listEnd = end + 4 + view.getUint32(end, true);
    const list = JSON.parse(new TextDecoder().decode(bytes.subarray(end + 4, listEnd)));
    let at = listEnd;
    const files = list.map(([path, size]) => [path, bytes.subarray(at, (at += size))]);
    return { memory: bytes.subarray(HEADER, end), files };
  }

  /** Keep `memory` (Pyodide's snapshot) and `files` ([path, bytes]) for the next boot: written
   *  whole under a name of its own, then moved to the store's name. */
  async write(memory, files) {
    for await (const name of this.dir.keys()) {
      if (!name.startsWith(this.name)) await this.dir.removeEntry(name).catch(() => {}); // an older build's
    }
    const list = new TextEncoder().encode(JSON.stringify(files.map(([path, data]) => [path, data.length])));
    const parts = [memory, new Uint8Array(new Uint32Array([list.length]).buffer), list];
    for (const [, data] of files) parts.push(data);
    const body = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    parts.reduce((at, part) => (body.set(part, at), at + part.length), 0);
    const header = new Uint8Array(HEADER);
    header.set(new TextEncoder().encode(MAGIC));
    header.set(new Uint8Array(await crypto.subtle.digest("SHA-256", body)), 8);
    new DataView(header.buffer).setUint32(40, memory.length, true);

    const partial = `${this.name}${PARTIAL}${crypto.randomUUID()}`;
    const file = await this.dir.getFileHandle(partial, { create: true });
    try {
      if (file.createSyncAccessHandle) {
        const access = await file.createSyncAccessHandle();
        try {
          access.write(header, { at: 0 });
          access.write(body, { at: HEADER });
          access.flush();
        } finally {
          access.close();
        }
      } else {
        const out = await file.createWritable();
        await out.write(header);
        await out.write(body);
        await out.close();
      }
      await file.move(this.name); // replaces a snapshot another tab of the same build saved meanwhile
    } finally {
      await this.tidy(); // this one if the move failed, and any a tab closed mid-write left
    }
  }

  /** Remove partial files a tab closed mid-write left (one another tab is writing is locked:
   *  its removal fails, and it is left alone). */
  async tidy() {
    for await (const name of this.dir.keys()) {
      if (name.startsWith(`${this.name}${PARTIAL}`)) await this.dir.removeEntry(name).catch(() => {});
    }
  }

  discard() {
    return this.dir.removeEntry(this.name);
  }
}

/** Run `load` (a loadPyodide that restores `snapshot`, a promise of its bytes) with the wasm
 *  memory grown to the snapshot's size as Pyodide's module is instantiated. Pyodide copies a
 *  snapshot into the memory the module starts with (480 pages, 30 MiB) and never grows it
 *  first: a cold boot whose Python grew past that (a longer course, a bigger engine) made a
 *  snapshot no restore could load ("offset is out of bounds"). Emscripten takes its views of
 *  the memory after instantiation, so they cover the grown memory. */
async function roomFor(snapshot, load) {
  const { instantiate, instantiateStreaming } = WebAssembly;
  const grown = async (result) => {
    const memory = result?.instance?.exports?.memory; // a bare Instance (a helper module): as is
    if (memory instanceof WebAssembly.Memory) {
      const short = (await snapshot).length - memory.buffer.byteLength;
      if (short > 0) memory.grow(Math.ceil(short / 65536));
    }
    return result;
  };
  WebAssembly.instantiate = async (...args) => grown(await instantiate.apply(WebAssembly, args));
  WebAssembly.instantiateStreaming = async (...args) => grown(await instantiateStreaming.apply(WebAssembly, args));
  try {
    return await load();
  } finally {
    WebAssembly.instantiate = instantiate;
    WebAssembly.instantiateStreaming = instantiateStreaming;
  }
}

/** Every file under `roots` in Emscripten's file system, as [path, bytes]. */
function filesUnder(FS, roots) {
  const files = [];
  const walk = (dir) => {
    for (const name of FS.readdir(dir)) {
      if (name === "." || name === ".." || name === "__pycache__") continue;
      const path = `${dir}/${name}`;
      const mode = FS.stat(path).mode;
      if (FS.isDir(mode)) walk(path);
      else if (FS.isFile(mode)) files.push([path, FS.readFile(path)]);
    }
  };
  roots.forEach(walk);
  return files;
}

function writeFiles(FS, files) {
  for (const [path, data] of files) {
    FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    FS.writeFile(path, data);
  }
}

async function boot(progress) {
  const timings = {}; // milliseconds per boot phase, for bench/web.py
  let mark = performance.now();
  const lap = (name) => {
    const now = performance.now();
    timings[name] = Math.round(now - mark);
    mark = now;
  };
  // What the page learns: whether this boot restored a snapshot, whether one is kept for the
  // next boot, and why not.
  const snapshot = { restored: false, saved: false, problem: "" };
  const base = new URL("./", import.meta.url);
  // The snapshot store opens while the manifest is read.
  const dir = SnapshotStore.directory();
  dir.catch(() => {}); // looked at below, after the manifest
  status("Loading the site's manifest…");
  const manifestResponse = await fetch(new URL("manifest.json", base));
  if (!manifestResponse.ok) throw new Error(`manifest.json: HTTP ${manifestResponse.status}`);
  const manifest = await manifestResponse.json();
  // Pyodide's files sit in a folder named by their hash (web/build.py). A computed URL: the
  // bundler leaves it alone, and Pyodide stays a separate file the browser can cache.
  const indexURL = new URL(manifest.pyodide_dir, base).href;
  const pyodideModule = import(new URL("pyodide.mjs", indexURL).href);
  // A preview's lessons: the stamp of the lessons about to be fetched (they may change later).
  const previewStamp = manifest.preview ? await fetchStamp(new URL(manifest.preview, base)) : null;
  const store = await SnapshotStore.open(dir, manifest);
  const found = store ? await store.find() : null;
  if (!store) snapshot.problem = "no private file system here (a page on http:// other than localhost)";
  lap("manifest");

  status(`Loading Python (Pyodide ${manifest.pyodide})…`);
  const { loadPyodide } = await pyodideModule;
  const options = {
    indexURL,
    packageBaseUrl: indexURL, // Pyodide would otherwise name its CDN as the place for packages
    stdout: (line) => console.log(line),
    stderr: (line) => console.warn(line),
  };

  let kept = null; // the snapshot's parts, once read and checked
  let busy = false; // another tab of this build holds the snapshot: it is good, leave it be
  if (found) {
    try {
      // Pyodide fetches its wasm and stdlib while the snapshot is read and checked (it awaits
      // the promise later: meanwhile a rejection must not count as unhandled).
      const memory = SnapshotStore.read(found).then((parts) => (kept = parts).memory);
      memory.catch(() => {});
      pyodide = await roomFor(memory, () => loadPyodide({ ...options, _loadSnapshot: memory }));
      snapshot.restored = snapshot.saved = true;
    } catch (error) {
      snapshot.problem = `the saved engine snapshot was not usable: ${error.message ?? error}`;
      pyodide = kept = null;
      // Damaged or refused: the next boot must not meet it again. (In use by another tab: keep it.)
      busy = snapshot.saved = Boolean(error.busy);
      if (!busy) await store.discard().catch(() => {});
    }
  }
  let downloads = null;
  if (!snapshot.restored) {
    // Fetch the wheels and the lessons meanwhile: the network is idle while wasm compiles.
    downloads = Promise.all([
      ...manifest.wheels.map((name) => fetchBytes(new URL(name, base))),
      fetchBytes(new URL(manifest.lessons, base)),
    ]);
    downloads.catch(() => {}); // a failed download is reported when awaited below
    pyodide = await loadPyodide({ ...options, _makeSnapshot: store !== null });
  }
  lap("pyodide");

  status("Installing hvlab and its lessons…");
  // Emscripten's file system is not in the wasm memory: a restore writes back the files the
  // cold boot installed (kept in the snapshot file), with no download and no unzipping.
  if (kept) {
    writeFiles(pyodide.FS, kept.files);
  } else {
    const buffers = await downloads;
    const lessons = buffers.pop();
    for (const buffer of buffers) pyodide.unpackArchive(buffer, "wheel");
    pyodide.unpackArchive(lessons, "zip", { extractDir: COURSE });
  }
  lap("install");

  status("Starting the lab…");
  let made = null; // a cold boot's snapshot, saved before the page hears "ready"
  if (kept) {
    pyodide.runPython(RESTORED);
    kept = null;
  } else {
    pyodide.runPython(PRIME);
    if (store && !busy) {
      try {
        made = { memory: pyodide.makeMemorySnapshot(), files: filesUnder(pyodide.FS, [HOME]) };
      } catch (error) {
        snapshot.problem = `no engine snapshot: ${error.message ?? error}`;
      }
    }
    lap("prime");
  }

  const { Bridge } = pyodide.pyimport("web.bridge");
  bridge = Bridge.callKwargs(`${COURSE}/lessons`, { progress_text: progress ?? null });
  Bridge.destroy();
  lap("engine");
  if (made) {
    status("Saving the engine for your next visit…");
    try {
      await store.write(made.memory, made.files);
      snapshot.saved = true;
    } catch (error) {
      snapshot.problem = [snapshot.problem, `the engine snapshot was not saved: ${error.message ?? error}`]
        .filter(Boolean)
        .join("; ");
    }
    made = null;
    lap("save");
  }
  const preview = Boolean(manifest.preview); // the page keeps no offline copy of a preview
  post({ type: "ready", progress: bridge.progress(), problem: bridge.progress_problem, timings, snapshot, preview });
  if (preview) watchLessons(new URL(manifest.preview, base), new URL(manifest.lessons, base), previewStamp);
  if (snapshot.restored) store.tidy().catch(() => {}); // (a cold boot's write tidied already)
}

// ---------------------------------------------------------------- a preview's lessons

const PREVIEW_MS = 1000; // how often a preview looks at its lessons' stamp

async function fetchStamp(url) {
  const response = await fetch(url, { cache: "no-store" });
  return response.ok ? (await response.json()).stamp : null;
}

/** Remove a folder of Emscripten's file system with everything in it. */
function removeTree(FS, dir) {
  if (!FS.analyzePath(dir).exists) return;
  for (const name of FS.readdir(dir)) {
    if (name === "." || name === "..") continue;
    const path = `${dir}/${name}`;
    if (FS.isDir(FS.stat(path).mode)) removeTree(FS, path);
    else FS.unlink(path);
  }
  FS.rmdir(dir);
}

/** Poll the stamp; on a new one, the lessons again from the site and the session's `reload`. */
async function watchLessons(stampUrl, lessonsUrl, seen) {
  for (;;) {
    await sleep(PREVIEW_MS);
    try {
      const now = await fetchStamp(stampUrl);
      if (!now || now === seen) continue;
      const response = await fetch(lessonsUrl, { cache: "no-store" });
      if (!response.ok) continue;
      const zipped = await response.arrayBuffer();
      // From here on nothing awaits: no call of the page runs between the files and the reload.
      removeTree(pyodide.FS, `${COURSE}/lessons`);
      pyodide.unpackArchive(zipped, "zip", { extractDir: COURSE });
      seen = now;
      const result = ownCall("reload", {});
      if (result.ok && result.value.changed) post({ type: "reloaded", reloaded: result.value });
      if (!looping && bridge.running) loop(); // a restarted machine runs as the old one did
    } catch (error) {
      console.warn("hvlab: the preview could not read the lessons again", error);
    }
  }
}

// ---------------------------------------------------------------- requests

// A Python exception from a bridge helper other than `call` (which answers errors itself).
function pythonError(error) {
  const lines = String(error.message ?? error).trim().split("\n");
  const last = lines[lines.length - 1];
  const message = last.includes(": ") ? last.slice(last.indexOf(": ") + 2) : last;
  return { ok: false, kind: error.type ?? error.name ?? "Error", message };
}

function call(method, args) {
  return JSON.parse(bridge.call(method, JSON.stringify(args ?? {})));
}

// A call of the worker's own (the play loop's): a progress change it caused still reaches the page.
function ownCall(method, args) {
  const result = call(method, args);
  if (result.progress) post({ type: "progress", progress: result.progress });
  return result;
}

function reply(id, body) {
  post({ type: "reply", id, ...body });
  if (!looping && bridge?.running) loop(); // the page let the guests run (`play`)
}

function toJs(proxy) {
  try {
    return proxy.toJs({ dict_converter: Object.fromEntries });
  } finally {
    proxy.destroy();
  }
}

function handle(message) {
  const { id } = message;
  switch (message.type) {
    case "call":
      reply(id, call(message.method, message.args));
      return;
    case "pcap": {
      const bytes = toJs(bridge.pcap(message.segment));
      reply(id, { ok: true, value: bytes });
      return;
    }
    case "import": {
      const result = toJs(bridge.import_progress(message.text));
      // Saved on success even when unchanged: it may replace an unreadable saved text.
      reply(id, { ok: true, value: result, progress: result.ok ? bridge.progress() : null });
      return;
    }
    case "bench":
      reply(id, { ok: true, value: toJs(bridge.bench_mips(message.iterations ?? 200000)) });
      return;
    default:
      reply(id, { ok: false, kind: "BridgeError", message: `unknown request ${message.type}` });
  }
}

// ---------------------------------------------------------------- the run loop

async function loop() {
  looping = true;
  try {
    while (bridge.running) {
      let turn;
      try {
        turn = ownCall("advance", {});
      } catch (error) {
        // `call` answers Python errors itself: this is the interpreter failing
        post({ type: "crash", message: String(error.message ?? error) });
        return;
      }
      if (!turn.ok) return; // no lesson running (closed meanwhile): nothing to run
      const { frame, running, wait } = turn.value;
      if (frame) post({ type: "frame", frame });
      if (!running) return;
      await (wait > 0 ? sleep(wait * 1000) : yieldNow());
    }
  } finally {
    looping = false;
  }
}

// ---------------------------------------------------------------- the message pump

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type === "boot") {
    try {
      await boot(message.progress);
    } catch (error) {
      post({ type: "crash", message: String(error.message ?? error) });
    }
    return;
  }
  if (bridge === null) {
    reply(message.id, { ok: false, kind: "BridgeError", message: "the lab has not started yet" });
    return;
  }
  try {
    handle(message);
  } catch (error) {
    reply(message.id, pythonError(error));
    if (pyodide && isFatal(error)) post({ type: "crash", message: String(error.message ?? error) });
  }
};

// Pyodide marks the interpreter dead after a fatal error (e.g. out of memory); nothing works after.
function isFatal(error) {
  return error?.pyodide_fatal_error === true || /Pyodide has suffered a fatal error/.test(String(error));
}
