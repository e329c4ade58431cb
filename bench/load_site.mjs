// Pyodide and the hvlab wheel from a built site (`hvlab web build`), loaded in Node.js as the
// browser lab's worker loads them: bench/pyodide.mjs and tests/web/pyodide_runner.mjs use it.
//
//   const { pyodide, manifest } = await loadSite("build/web");
//   const { pyodide } = await loadSite("build/web", { bench: "." });   // and bench/ from a checkout
//
// The wheel holds the engine only; `bench` mounts a checkout's bench/ package (its programs too)
// into Pyodide's file system and puts it on sys.path, for the benchmark figures.

import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export async function loadSite(site, { bench = null } = {}) {
  const manifest = JSON.parse(await readFile(join(site, "manifest.json"), "utf8"));
  const indexURL = join(site, manifest.pyodide_dir) + "/"; // pyodide/HASH/ (web/build.py)
  const { loadPyodide } = await import(pathToFileURL(join(indexURL, "pyodide.mjs")).href);
  const pyodide = await loadPyodide({ indexURL, packageBaseUrl: indexURL, stdout: () => {}, stderr: () => {} });
  for (const wheel of manifest.wheels) {
    pyodide.unpackArchive(new Uint8Array(await readFile(join(site, wheel))), "wheel");
  }
  if (bench !== null) {
    const root = "/home/pyodide/checkout";
    pyodide.FS.mkdirTree(`${root}/bench`);
    pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: join(resolve(bench), "bench") }, `${root}/bench`);
    pyodide.runPython(`import sys; sys.path.insert(0, "${root}")`);
  }
  return { pyodide, manifest };
}
