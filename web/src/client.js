// The page's one door to the engine: class Lab talks to the module worker (worker.js).
//
//   import { Lab } from "./client.js";
//   const lab = await Lab.boot({ onStatus: (text) => {} });
//   const lessons = await lab.call("list_lessons", { lang: "de" });
//   lab.on("frame", (frame) => {}); await lab.play(); await lab.pause();
//
// The contract is the front-end protocol (docs/reference/protocol.md, generated from
// lab/session/records.py): every Session method the page may call answers through `call`
// with the JSON form of its record; errors reject with a LabError whose `kind` is the Python
// exception's name (SessionError, BridgeError, ...). While the guests run, the worker's run
// loop sends the session's frames ("frame" events).
// The student's progress lives in localStorage["hvlab.progress"] as the text of the TUI's
// progress.json: the worker reports it after each call that changed it, and this file
// writes it to localStorage before telling anyone.

export const PROGRESS_KEY = "hvlab.progress";

export class LabError extends Error {
  constructor(kind, message) {
    super(message);
    this.name = "LabError";
    this.kind = kind;
  }
}

function readSaved() {
  try {
    return globalThis.localStorage?.getItem(PROGRESS_KEY) ?? null;
  } catch {
    return null; // storage disabled (a private window's policy): progress lasts for this page only
  }
}

function writeSaved(text) {
  try {
    globalThis.localStorage?.setItem(PROGRESS_KEY, text);
  } catch {
    // storage full or disabled: the session still holds the progress; export still works
  }
}

export class Lab {
  /** Start the worker and wait until the engine is ready; rejects with an Error saying why not. */
  static boot({ onStatus = () => {}, workerUrl = new URL("./worker.js", import.meta.url) } = {}) {
    const lab = new Lab(new Worker(workerUrl, { type: "module" }));
    return new Promise((resolve, reject) => {
      lab._booting = { resolve, reject, onStatus };
      lab._worker.postMessage({ type: "boot", progress: readSaved() });
    });
  }

  constructor(worker) {
    this._worker = worker;
    this._pending = new Map();
    this._next = 1;
    this._listeners = { frame: new Set(), progress: new Set(), crash: new Set(), reloaded: new Set() };
    this._progressText = null;
    this._booting = null;
    this.crashed = null; // the crash message once the worker died
    this.problem = ""; // why the saved progress could not be loaded at boot ("" when it could)
    this.timings = {}; // milliseconds the worker's boot phases took (bench/web.py reports them)
    // The engine's memory snapshot (worker.js): restored = this boot started from one; saved =
    // one is kept for the next boot (a cold boot saves it before "ready"); problem = why not.
    this.snapshot = { restored: false, saved: false, problem: "" };
    this.preview = false; // a preview site's lessons change while it is served (no offline copy)
    worker.onmessage = (event) => this._receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault?.();
      this._crash(event.message || "the lab's worker failed");
    };
    worker.onmessageerror = () => this._crash("a message from the lab's worker could not be read");
  }

  /** Any public Session method by name with keyword arguments; resolves with its result. */
  call(method, args = {}) {
    return this._request({ type: "call", method, args });
  }

  /** Let the guests run: the worker's run loop sends frames until pause(). */
  play() {
    return this.call("play");
  }

  /** Stop the guests; resolves once the session has stopped them. */
  pause() {
    return this.call("pause");
  }

  /** Listen to "frame", "progress", "crash" or "reloaded" (a preview's lessons were read again:
   *  the session's Reloaded record); returns a function that stops listening. */
  on(event, fn) {
    const set = this._listeners[event];
    if (!set) throw new Error(`no lab event ${event} (frame, progress, crash, reloaded)`);
    set.add(fn);
    return () => set.delete(fn);
  }

  /** The progress file's text: what the TUI reads and writes as progress.json. */
  exportProgress() {
    return this._progressText ?? readSaved() ?? '{\n "lessons": {},\n "version": 1\n}';
  }

  /** Load a progress file's text into the session: {ok, error}; kept in localStorage on ok. */
  async importProgress(text) {
    const result = await this._request({ type: "import", text: String(text) });
    return result.ok ? { ok: true, error: "" } : { ok: false, error: result.error };
  }

  /** A network segment's capture as a pcap file (opens in Wireshark). */
  async pcap(segment) {
    const bytes = await this._request({ type: "pcap", segment });
    return new Blob([bytes], { type: "application/vnd.tcpdump.pcap" });
  }

  /** The interpreter's MIPS on bench's tight loop, measured in the worker (bench/web.py). */
  benchMips(iterations = 200000) {
    return this._request({ type: "bench", iterations });
  }

  /** Stop the worker for good. */
  terminate() {
    this._crash("the lab was shut down");
  }

  // ---------------------------------------------------------------- internals

  _request(message) {
    if (this.crashed) return Promise.reject(new LabError("Crash", this.crashed));
    const id = this._next++;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject });
      this._worker.postMessage({ ...message, id });
    });
  }

  _emit(event, value) {
    for (const fn of this._listeners[event]) {
      try {
        fn(value);
      } catch (error) {
        console.error(`hvlab: a ${event} listener failed`, error);
      }
    }
  }

  _setProgress(text) {
    this._progressText = text;
    writeSaved(text);
    this._emit("progress", JSON.parse(text));
  }

  _receive(message) {
    switch (message.type) {
      case "status":
        this._booting?.onStatus(message.text);
        break;
      case "ready": {
        this._progressText = message.progress;
        this.problem = message.problem || "";
        this.timings = message.timings ?? {};
        this.snapshot = { ...this.snapshot, ...message.snapshot };
        this.preview = Boolean(message.preview); // a preview site (hvlab lessons preview)
        // A saved progress the session could not read stays where it is (the student may
        // want it back); anything else is written so localStorage always holds the latest.
        if (!this.problem) writeSaved(message.progress);
        const booting = this._booting;
        this._booting = null;
        booting?.resolve(this);
        break;
      }
      case "reply": {
        const pending = this._pending.get(message.id);
        this._pending.delete(message.id);
        if (message.progress) this._setProgress(message.progress);
        if (!pending) break;
        if (message.ok) pending.resolve(message.value);
        else pending.reject(new LabError(message.kind, message.message));
        break;
      }
      case "progress":
        this._setProgress(message.progress);
        break;
      case "frame":
        this._emit("frame", message.frame);
        break;
      case "reloaded":
        this._emit("reloaded", message.reloaded);
        break;
      case "crash":
        this._crash(message.message);
        break;
      default:
        console.warn("hvlab: unknown message from the worker", message.type);
    }
  }

  _crash(text) {
    if (this.crashed) return;
    this.crashed = text;
    this._worker.terminate(); // after a fatal error the interpreter cannot be trusted to go on
    if (this._booting) {
      this._booting.reject(new Error(text));
      this._booting = null;
    }
    for (const { reject } of this._pending.values()) reject(new LabError("Crash", text));
    this._pending.clear();
    this._emit("crash", text);
  }
}
