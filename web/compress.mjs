// Brotli for `hvlab web build` (web/build.py): Node's zlib has it, Python's standard library has not.
//
//   node compress.mjs JOBS.json      JOBS: [[source, destination], ...]
//
// Compresses each source at brotli's best (quality 11, a window as large as the file needs, up to
// 16 MB) into destination (written whole, then renamed into place), several files at once on
// libuv's thread pool, and exits non-zero with the reason when one fails.

import { readFile, rename, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { brotliCompress, constants } from "node:zlib";

const compress = promisify(brotliCompress);
const [jobsFile] = process.argv.slice(2);
const jobs = JSON.parse(await readFile(jobsFile, "utf8"));

async function one([source, destination]) {
  const data = await readFile(source);
  const window = Math.min(24, Math.max(16, Math.ceil(Math.log2(data.length + 1))));
  const packed = await compress(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_LGWIN]: window,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  await writeFile(`${destination}.tmp`, packed);
  await rename(`${destination}.tmp`, destination);
}

try {
  await Promise.all(jobs.map(one));
} catch (error) {
  console.error(`brotli: ${error.message ?? error}`);
  process.exit(1);
}
