// bench's compute figures for the interp core under Pyodide in Node.js: the engine from a built
// site's wheel, exactly as the browser lab's worker loads it; the benchmarks from this checkout.
//
//   node bench/pyodide.mjs SITE_DIR [RUNS]      (hvlab bench --pyodide runs it)
//
// Prints one JSON line: {"python": ..., "figures": [{name, unit, value, runs}, ...]}.

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadSite } from "./load_site.mjs";

const site = resolve(process.argv[2] ?? "build/web");
const runs = Number(process.argv[3] ?? 3);
const checkout = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { pyodide } = await loadSite(site, { bench: checkout });
const out = await pyodide.runPythonAsync(`
import json, sys
from bench.pyodide import measure_here
json.dumps({"python": sys.version.split()[0], "figures": measure_here(${runs})})
`);
console.log(out);
