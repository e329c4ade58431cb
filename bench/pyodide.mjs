// bench's compute figures for the interp core under Pyodide in Node.js, from a built site:
// Pyodide, the wheels and the engine exactly as the browser lab's worker loads them.
//
//   node bench/pyodide.mjs SITE_DIR [RUNS]      (python -m bench.pyodide runs it)
//
// Prints one JSON line: {"python": ..., "figures": [{name, unit, value, runs}, ...]}.

import { resolve } from "node:path";
import { loadSite } from "./load_site.mjs";

const site = resolve(process.argv[2] ?? "build/web");
const runs = Number(process.argv[3] ?? 3);
const { pyodide } = await loadSite(site);
const out = await pyodide.runPythonAsync(`
import json, sys
from bench.pyodide import measure_here
json.dumps({"python": sys.version.split()[0], "figures": measure_here(${runs})})
`);
console.log(out);
