// The lab's engine in a module worker: Pyodide, the hvlab wheels, the lessons, one Session.
//
// The page talks to it only through web/src/client.js (class Lab). Messages in:
//   {type: "boot", progress}            load everything; progress = the saved progress text or null
//   {type: "call", id, method, args}    one Session method (web.bridge.Bridge.call)
//   {type: "strings"|"pcap"|"import"|"bench", id, ...}
//   {type: "play", slice} / {type: "pause", id}
// Messages out: {type: "status", text}, {type: "ready", progress, problem, timings},
//   {type: "reply", id, ok, value | kind+message, progress}, {type: "tick", state, mips, time},
//   {type: "progress", progress}, {type: "crash", message}.
// Python runs on this thread, so a long `run` blocks messages: the play loop runs one slice,
// then yields to the event loop (a MessageChannel round trip, not setTimeout's 4 ms clamp) so a
// pause or a call gets in between slices.

const COURSE = "/home/pyodide/course"; // lessons/ and lab/guests/ side by side
const TICK_MS = 100; // at most ten ticks a second: the page cannot show more
const IDLE_MS = 50; // every guest waits for input: poll gently instead of spinning

let pyodide = null;
let bridge = null;
let playing = false;
let generation = 0; // which loop may run: a pause then a play must not leave two loops going
let slice = 20000;

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

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

async function boot(progress) {
  const timings = {}; // milliseconds per boot phase, for bench/web.py
  let mark = performance.now();
  const lap = (name) => {
    const now = performance.now();
    timings[name] = Math.round(now - mark);
    mark = now;
  };
  const base = new URL("./", import.meta.url);
  const indexURL = new URL("pyodide/", base).href;
  // A computed URL: the bundler leaves it alone, and Pyodide stays a separate file it can cache.
  // Its module loads while the manifest is read.
  const pyodideModule = import(new URL("pyodide.mjs", indexURL).href);
  status("Loading the site's manifest…");
  const manifestResponse = await fetch(new URL("manifest.json", base));
  if (!manifestResponse.ok) throw new Error(`manifest.json: HTTP ${manifestResponse.status}`);
  const manifest = await manifestResponse.json();
  lap("manifest");

  status(`Loading Python (Pyodide ${manifest.pyodide})…`);
  const { loadPyodide } = await pyodideModule;
  // packageBaseUrl: Pyodide would otherwise name its CDN as the place for packages.
  // Fetch the wheels and the lessons meanwhile: the network is idle while wasm compiles.
  const downloads = Promise.all([
    ...manifest.wheels.map((name) => fetchBytes(new URL(name, base))),
    fetchBytes(new URL(manifest.lessons, base)),
  ]);
  pyodide = await loadPyodide({
    indexURL,
    packageBaseUrl: indexURL,
    stdout: (line) => console.log(line),
    stderr: (line) => console.warn(line),
  });
  lap("pyodide");
  const buffers = await downloads;
  const lessons = buffers.pop();

  status("Installing hvlab and its lessons…");
  for (const buffer of buffers) pyodide.unpackArchive(buffer, "wheel");
  pyodide.unpackArchive(lessons, "zip", { extractDir: COURSE });
  lap("install");

  status("Starting the lab…");
  const { Bridge } = pyodide.pyimport("web.bridge");
  bridge = Bridge.callKwargs(`${COURSE}/lessons`, { progress_text: progress ?? null });
  Bridge.destroy();
  lap("engine");
  post({ type: "ready", progress: bridge.progress(), problem: bridge.progress_problem, timings });
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
    case "strings":
      reply(id, { ok: true, value: toJs(bridge.strings(message.lang ?? "en")) });
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
    case "play":
      slice = Math.max(1, Math.floor(message.slice ?? slice));
      if (!playing) {
        playing = true;
        loop(++generation);
      }
      return;
    case "pause": {
      playing = false;
      const result = call("pause", {});
      // Pausing with no machine running is already true: not an error worth a rejection.
      reply(id, result.ok ? result : { ok: true, value: { running: false }, progress: result.progress });
      return;
    }
    default:
      reply(id, { ok: false, kind: "BridgeError", message: `unknown request ${message.type}` });
  }
}

// ---------------------------------------------------------------- the play loop

async function loop(mine) {
  let lastTick = 0;
  let retired = 0;
  let busyMs = 0;
  while (playing && mine === generation) {
    const t0 = performance.now();
    let result;
    try {
      result = ownCall("run", { n: slice });
    } catch (error) {
      playing = false; // `call` answers Python errors itself: this is the interpreter failing
      post({ type: "crash", message: String(error.message ?? error) });
      break;
    }
    const elapsed = performance.now() - t0;
    if (!result.ok) {
      playing = false; // no lesson running (closed meanwhile): nothing to play
      break;
    }
    const budget = result.value.reason === "budget";
    if (budget) {
      retired += result.value.retired;
      busyMs += elapsed;
    }
    const now = performance.now();
    if (now - lastTick >= TICK_MS) {
      const state = ownCall("state", {});
      const mips = busyMs > 0 ? retired / busyMs / 1000 : 0;
      if (state.ok) post({ type: "tick", state: state.value, mips, time: state.value.time });
      lastTick = now;
      retired = 0;
      busyMs = 0;
    }
    await (budget ? yieldNow() : sleep(IDLE_MS));
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
