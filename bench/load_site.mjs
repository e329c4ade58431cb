// Pyodide and the hvlab wheels from a built site (`hvlab web build`), loaded in Node.js as the
// browser lab's worker loads them: bench/pyodide.mjs and tests/web/pyodide_runner.mjs use it.
//
//   const { pyodide, manifest } = await loadSite("build/web");

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export async function loadSite(site) {
  const manifest = JSON.parse(await readFile(join(site, "manifest.json"), "utf8"));
  const indexURL = join(site, "pyodide") + "/";
  const { loadPyodide } = await import(pathToFileURL(join(indexURL, "pyodide.mjs")).href);
  const pyodide = await loadPyodide({ indexURL, packageBaseUrl: indexURL, stdout: () => {}, stderr: () => {} });
  for (const wheel of manifest.wheels) {
    pyodide.unpackArchive(new Uint8Array(await readFile(join(site, wheel))), "wheel");
  }
  return { pyodide, manifest };
}
