// bench's compute figures for the interp core under Pyodide in Node.js, from a built site:
// Pyodide, the wheels and the engine exactly as the browser lab's worker loads them.
//
//   node bench/pyodide.mjs SITE_DIR [RUNS]      (python -m bench.pyodide runs it)
//
// Prints one JSON line: {"python": ..., "figures": [{name, unit, value, runs}, ...]}.

import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const site = resolve(process.argv[2] ?? "build/web");
const runs = Number(process.argv[3] ?? 3);
const manifest = JSON.parse(await readFile(join(site, "manifest.json"), "utf8"));
const indexURL = join(site, "pyodide") + "/";
const { loadPyodide } = await import(pathToFileURL(join(indexURL, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL, packageBaseUrl: indexURL, stdout: () => {}, stderr: () => {} });
for (const wheel of manifest.wheels) {
  pyodide.unpackArchive(new Uint8Array(await readFile(join(site, wheel))), "wheel");
}
const out = await pyodide.runPythonAsync(`
import json, statistics, sys
from bench.pyodide import measure_here
json.dumps({"python": sys.version.split()[0], "figures": measure_here(${runs})})
`);
console.log(out);
