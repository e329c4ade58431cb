// The engine's own checks under Pyodide in Node.js, loaded from a built site exactly as the
// worker loads it: the site's pyodide/ files, its wheels, its lessons.zip.
//
//   node tests/web/pyodide_runner.mjs SITE_DIR      (tests/web/test_pyodide_node.py runs it)
//
// Prints one JSON line: {"ok": bool, "checks": {name: {ok, detail}}, "mips": float, "crc32_mips": float, ...}
// and exits 0 when every check passed.

import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadSite } from "../../bench/load_site.mjs";

const site = resolve(process.argv[2] ?? "build/web");
const COURSE = "/home/pyodide/course";
const started = performance.now();

// The engine from the site's wheel; bench/ (for the CRC-32 figure) from this checkout.
const checkout = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const { pyodide, manifest } = await loadSite(site, { bench: checkout });
pyodide.unpackArchive(new Uint8Array(await readFile(join(site, manifest.lessons))), "zip", { extractDir: COURSE });
const loadSeconds = (performance.now() - started) / 1000;

// The engine's checks: each returns (ok, detail). Run in Python, reported as JSON.
const summary = JSON.parse(
  await pyodide.runPythonAsync(`
import json, sys, time, traceback
COURSE = "${COURSE}"
checks = {}

def check(name):
    def wrap(fn):
        try:
            ok, detail = fn()
        except Exception:
            ok, detail = False, traceback.format_exc()
        checks[name] = {"ok": bool(ok), "detail": detail}
        return fn
    return wrap

@check("cpu_interp")
def _():
    # The interpreter core runs real machine code: sum 1..100, then mul/div/rem (the M extension).
    from lab.riscv.asm import assemble
    from lab.cpu import PhysicalMemory, Stop, make_cpu
    from lab.cpu.bus import Bus
    source = """
_start:
    li   a0, 0
    li   t0, 100
1:  add  a0, a0, t0
    addi t0, t0, -1
    bnez t0, 1b
    li   t1, -7
    li   t2, 3
    mul  a1, a0, t2
    div  a2, t1, t2
    rem  a3, t1, t2
    ebreak
"""
    image = assemble(source, filename="sum.S", base=0x80000000)
    mem = PhysicalMemory(1 << 16)
    mem.write(0, image.data)
    cpu = make_cpu("interp", Bus(mem, ram_gpa=0x80000000, ram_host=0, ram_size=1 << 16))
    cpu.reset(image.entry, 0x80000000 + (1 << 16))
    result = cpu.run(100_000)
    regs = cpu.regs()[10:14]
    want = [5050, 15150, (-2) & 0xFFFFFFFF, (-1) & 0xFFFFFFFF]
    return result.stop is Stop.EBREAK and regs == want, f"stop={result.stop.value} a0..a3={regs}"

@check("hypervisor_api_leak")
def _():
    # The control-API scenario: the tenant reads the bank's secret on the vulnerable
    # hypervisor and is refused on the hardened one.
    from lab.scenario import SCENARIOS_DIR, load_scenario
    out = {}
    for name in ("api", "api_hardened"):  # from the wheel, as the page has them
        hv = load_scenario(SCENARIOS_DIR / f"{name}.toml").hv
        hv.feed("tenant", b"peek 2 0x80001000 32\\n")
        hv.run(2_000_000)
        out[name] = bytes(hv.vm("tenant").console).decode("utf-8", "replace")
    leaked = "BANK{pin-4711-do" in out["api"]
    blocked = "BANK{" not in out["api_hardened"] and "SBI_ERR_DENIED" in out["api_hardened"]
    return leaked and blocked, f"vulnerable leaked={leaked}, hardened blocked={blocked}"

@check("lesson_validator")
def _():
    # One lesson proved as hvlab lessons check proves it: solutions work, hardening blocks them.
    from pathlib import Path
    from lab.lesson.validator import TeachingRules, summary, validate
    lines = []
    # (the teaching rules warn until the second edition of the course lands, as in make test)
    reports, errors = validate(
        [Path(COURSE) / "lessons" / "03-control-api.md"],
        backend_names=["interp"],
        teaching=TeachingRules.WARN,
        echo=lambda report: lines.append(summary(report)),
    )
    ok = not errors and all(r.ok for r in reports) and len(reports) == 1
    return ok, "; ".join(lines[-3:] + errors + [e for r in reports for e in r.errors])

@check("bridge")
def _():
    # What the worker does: a session through the bridge, lesson 3 opened and started.
    from web.bridge import Bridge
    b = Bridge(f"{COURSE}/lessons")
    lessons = json.loads(b.call("list_lessons", '{"lang": "de"}'))
    opened = json.loads(b.call("open_lesson", '{"lesson_id": "control-api"}'))
    started = json.loads(b.call("start"))
    ok = (
        lessons["ok"] and len(lessons["value"]) >= 6 and lessons["value"][0]["lang"] == "de"
        and opened["ok"] and started["ok"] and started["progress"] is not None
    )
    return ok, f"{len(lessons['value'])} lessons, started={started['ok']}"

@check("own_password")
def _():
    # A student's own admin password in lesson 8's prose: read from the wordlist of the monitor
    # guest in the wheel, which includes the guest library (so that must ship in the wheel too).
    from lab.lesson.variants import mgmt_password
    from web.bridge import Bridge
    b = Bridge(f"{COURSE}/lessons", seed=5)
    opened = json.loads(b.call("open_lesson", '{"lesson_id": "flood"}'))
    prose = "".join(s["markdown"] for s in opened["value"]["steps"]) if opened["ok"] else ""
    want = f"LOGIN admin {mgmt_password('letmein', 5)}"
    return want in prose and "{password}" not in prose, want if opened["ok"] else opened["message"]

@check("markdown")
def _():
    # Lesson prose is rendered by markdown-it-py from its wheel, raw HTML escaped.
    from lab.lesson.parser import render
    html = render("**bold** <script>alert(1)</script>")
    return "<strong>bold</strong>" in html and "<script>" not in html, html.strip()

@check("stdlib_trim")
def _():
    # Every module the build kept in the standard library still imports: none of them needs
    # one the build left out (web.build.STDLIB_LEFT_OUT, listed in the manifest).
    import importlib, zipfile
    left = ${JSON.stringify(manifest.stdlib_left_out ?? [])}
    stdlib = next(p for p in sys.path if p.endswith(".zip"))
    with zipfile.ZipFile(stdlib) as zf:
        names = sorted({n[:-3].replace("/", ".").removesuffix(".__init__")
                        for n in zf.namelist() if n.endswith(".py")})
    needs_left_out = []
    started = time.perf_counter()
    for name in names:
        if name in ("antigravity", "this") or name.startswith("__phello__"):
            continue  # they act on import (open a browser, print a poem)
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if any(exc.name == x or (exc.name or "").startswith(x + ".") for x in left):
                needs_left_out.append(f"{name}: {exc}")
        except BaseException:
            pass  # a module that does not import in Pyodide whatever the build leaves out
    gone = [x for x in left if any(n == x or n.startswith(x + ".") for n in names)]
    ok = bool(left) and not needs_left_out and not gone
    took = time.perf_counter() - started
    return ok, needs_left_out or gone or f"{len(names)} modules import ({took:.1f} s); left out: {', '.join(left)}"

def mips():
    from lab.cpu.speed import tight_loop
    return max(tight_loop("interp", iterations=150_000).mips for _ in range(3))

def crc32_mips():
    # bench's compiled C program (CRC-32 over 64 KiB) on a hypervisor: the best of three runs.
    from bench.suite import _crc32
    return max(_crc32("interp", 1) for _ in range(3))

json.dumps({
    "ok": all(c["ok"] for c in checks.values()),
    "checks": checks,
    "mips": mips(),
    "crc32_mips": crc32_mips(),
    "python": sys.version.split()[0],
    "platform": sys.platform,
})
`),
);

// The worker's own conversions: a pcap through bridge.pcap, turned into bytes by toJs.
let pcap = { ok: false, detail: "" };
const { Bridge } = pyodide.pyimport("web.bridge");
const bridge = Bridge.callKwargs(`${COURSE}/lessons`, { progress_text: null });
try {
  // The first lesson whose machine has a network (the tour's has).
  let network = null;
  for (const lesson of JSON.parse(bridge.call("list_lessons", "{}")).value) {
    bridge.call("open_lesson", JSON.stringify({ lesson_id: lesson.id }));
    bridge.call("start", "{}");
    network = JSON.parse(bridge.call("network", "{}")).value;
    if (network) break;
  }
  const proxy = bridge.pcap(network.segments[0].name);
  const bytes = proxy.toJs();
  proxy.destroy();
  const magic = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  pcap = {
    ok: bytes instanceof Uint8Array && magic === 0xa1b2c3d4,
    detail: `${bytes.length} bytes, magic ${magic.toString(16)}`,
  };
} catch (error) {
  pcap.detail = String(error.message ?? error);
}
bridge.destroy();
Bridge.destroy();
summary.checks.pcap_bytes = pcap;
summary.ok = summary.ok && pcap.ok;

summary.load_seconds = loadSeconds;
summary.seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
