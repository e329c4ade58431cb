"""`hvlab web build`: the browser lab as a self-contained static site.

    build(Path("build/web"))          # -> the BuildReport; BuildError says what is missing
    hvlab web build [--out DIR]       # the same from the command line

What lands in the output directory (the page and the worker speak the front-end protocol,
docs/reference/protocol.md). Entry points keep their names and must be revalidated by a
host (`Cache-Control: no-cache`); everything under `pyodide/`, `wheels/` and `course/` sits in
a folder named by a hash of its bytes, so a host may keep it for good (`immutable`):

    index.html styles.css ...   web/static, copied as is (app.webmanifest: installable)
    app.js worker.js (+ .map)   esbuild bundles of web/src/main.js and web/src/worker.js
    sw.js                       the service worker (web/src/sw.js) after this build's file list
    uitext/                     the chrome's words, <lang>.json per language, and languages.json
    xterm.css                   the terminal's stylesheet from the npm package
    pyodide/HASH/               what pyodide.mjs loads: the asm module and wasm, the standard
                                library (less what the page can never use), an empty lock
    wheels/HASH/NAME.whl        hvlab (lab and web/bridge.py), markdown-it-py, mdurl
    course/HASH/lessons.zip     lessons/ (scenarios and guest programs are in the hvlab wheel), or
                                the folder `--lessons` names, with its own scenarios and programs
                                (a preview's: lessons.zip, rewritten while it is served)
    manifest.json               what the worker loads, every file's size, `engine`: the hash that
                                keys the worker's memory snapshot (engine_hash), `build`: this
                                build's id (the service worker's cache; a preview has none)
    *.br *.gz                   each compressible file precompressed (brotli, gzip), for a
                                server that sends them as Content-Encoding (web.serve does)
    _headers                    the cache rules above for hosts that read this file (Netlify,
                                Cloudflare Pages); docs/hosting.md says what any host needs

Nothing is fetched from another origin at run time. A rebuild with nothing
changed skips `npm ci` (node_modules newer than the lock), the wheel download and the
compression (cached under build/web-cache, by content), and rewrites only files whose bytes
changed, so it takes about a second.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

WEB: Final = Path(__file__).resolve().parent
ROOT: Final = WEB.parent  # the checkout (or site-packages when installed)
DEFAULT_OUT: Final = Path("build/web")
PREVIEW_STAMP: Final = "preview.json"  # a preview site's lessons stamp, which the page polls (web/preview.py)

# What pyodide.mjs fetches from its indexURL (read from pyodide.mjs 314: the asm module and
# its wasm, the stdlib zip, the lock file it parses even when no package is loaded).
PYODIDE_FILES: Final = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
# Legacy character sets (code pages, Mac and ISO 8859 tables, CJK): the engine, the lessons and the
# page read and write UTF-8 and ASCII; UTF-16/32, Latin-1 and cp437 (zip file names) stay.
LEGACY_CODECS: Final = (  # noqa: SIM905 (a list of words reads better as words)
    "big5 big5hkscs cp037 cp1006 cp1026 cp1125 cp1140 cp1250 cp1251 cp1252 cp1253 cp1254 cp1255 "
    "cp1256 cp1257 cp1258 cp273 cp424 cp500 cp720 cp737 cp775 cp850 cp852 cp855 cp856 cp857 cp858 "
    "cp860 cp861 cp862 cp863 cp864 cp865 cp866 cp869 cp874 cp875 cp932 cp949 cp950 euc_jis_2004 "
    "euc_jisx0213 euc_jp euc_kr gb18030 gb2312 gbk hp_roman8 hz iso2022_jp iso2022_jp_1 iso2022_jp_2 "
    "iso2022_jp_2004 iso2022_jp_3 iso2022_jp_ext iso2022_kr iso8859_1 iso8859_10 iso8859_11 "
    "iso8859_13 iso8859_14 iso8859_15 iso8859_16 iso8859_2 iso8859_3 iso8859_4 iso8859_5 iso8859_6 "
    "iso8859_7 iso8859_8 iso8859_9 johab koi8_r koi8_t koi8_u kz1048 mac_arabic mac_croatian "
    "mac_cyrillic mac_farsi mac_greek mac_iceland mac_latin2 mac_roman mac_romanian mac_turkish "
    "palmos ptcp154 shift_jis shift_jis_2004 shift_jisx0213 tis_620"
).split()
# Parts of Python's standard library the page never uses, left out of python_stdlib.zip (each a
# path in the zip: a module, or a package with all it holds). A student's patch may import any
# other module; these need what a browser's worker does not have, or serve a Python prompt the
# page does not show. The Pyodide runner (tests/web/pyodide_runner.mjs) imports every module
# that is left and proves that none of them needs one of these.
STDLIB_LEFT_OUT: Final = {
    "_pyrepl": "the interactive prompt's line editor: needs a terminal",
    "asyncio/__main__.py": "asyncio's interactive prompt (_pyrepl)",
    "pdb.py": "the debugger: needs a terminal",
    "pydoc.py": "help(): needs a pager or a web server",
    "doctest.py": "a test runner",
    "unittest": "a test runner",
    "multiprocessing": "needs processes",
    "concurrent/futures/process.py": "a pool of processes (multiprocessing)",
    "wsgiref": "a web server",
    "xmlrpc": "a remote procedure call server and client over sockets",
    "smtplib.py": "mail over sockets",
    "imaplib.py": "mail over sockets",
    "poplib.py": "mail over sockets",
    "ftplib.py": "FTP over sockets",
    "mailbox.py": "mail folders on disk",
    "sqlite3": "needs the sqlite3 extension, not in Pyodide's core",
    **{f"encodings/{name}.py": "a legacy character set (LEGACY_CODECS)" for name in LEGACY_CODECS},
}
# The trimmed stdlib is deflated again, not stored: a host that sends files as they are (many do
# not compress zips) then sends 2 MB, not the 9 MB of a stored zip.
STDLIB_LEVEL: Final = 9
# The engine's dependencies, as wheels from PyPI at the versions this Python has installed.
DEPENDENCIES: Final = ("markdown-it-py", "mdurl")
# What the page's wheel holds: the engine (lab/, with its guest programs and scenarios) and the
# worker's bridge. Nothing else runs in the page: not the TUI (Textual does not run in a
# browser), not this build or its server, not the benchmarks, not the command line.
WHEEL_PACKAGES: Final = ("lab",)
WHEEL_MODULES: Final = ("web/__init__.py", "web/bridge.py")
ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)  # fixed: the same sources make the same bytes
# Folders whose files sit in a subfolder named by a hash of their bytes (content-addressed):
# a new build puts changed files under a new name, so these may be cached for good.
HASHED_DIRS: Final = ("pyodide", "wheels", "course")
HASH_LENGTH: Final = 16  # hex digits of SHA-256 in those names and in the build id
IMMUTABLE: Final = "public, max-age=31536000, immutable"  # Cache-Control of a content folder's file
# What is precompressed: text and wasm. Zips and wheels are deflated already; brotli is not
# made for source maps (only a developer's tools fetch them, and they change with every edit).
COMPRESSIBLE: Final = (".html", ".js", ".mjs", ".css", ".json", ".wasm", ".svg", ".webmanifest", ".map")
NO_BROTLI: Final = (".map",)
MIN_COMPRESS: Final = 512  # bytes: below this a header costs about what compression saves
ENCODINGS: Final = ("br", "gz")  # file suffixes of the precompressed copies (brotli, gzip)
CACHE_DAYS: Final = 14  # compressed copies unused this long leave the cache


class BuildError(Exception):
    """Something the build needs is missing or failed; the message says what to do."""


@dataclass(slots=True)
class BuildReport:
    out: Path
    files: dict[str, int] = field(default_factory=dict)  # path in the site -> bytes
    steps: list[str] = field(default_factory=list)  # what was done, for the log
    build: str = ""  # the build's id (manifest.json's `build`)
    page_bytes: int = 0  # the files the page may load, as they are ...
    brotli_bytes: int = 0  # ... and as a server sends them with their brotli copies
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.files.values())


def project_version() -> str:
    pyproject = ROOT / "pyproject.toml"
    if pyproject.exists():
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    return importlib.metadata.version("hvlab")


def package_data(package: str, root: Path = ROOT) -> tuple[str, ...]:
    """The data files `package` ships, as glob patterns: in a checkout pyproject.toml's own list
    (so pip and the web wheel agree); installed, whatever the package holds (pip put it there)."""
    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        table = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]
        return tuple(table.get("package-data", {}).get(package, ()))
    return ("**/*",)


def default_cache() -> Path:
    """Downloaded wheels: build/web-cache in a checkout, else the user's cache directory."""
    if (ROOT / "pyproject.toml").exists():
        return ROOT / "build" / "web-cache"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hvlab" / "web"


# ---------------------------------------------------------------- small file helpers


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` unless the file already holds exactly it (keeps mtimes, so caches stay warm)."""
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def _copy_if_changed(src: Path, dest: Path) -> bool:
    if dest.exists():
        s, d = src.stat(), dest.stat()
        if s.st_size == d.st_size and int(s.st_mtime) == int(d.st_mtime):
            return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)
    return True


def _zip(entries: Iterable[tuple[str, bytes]], *, level: int = 6) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tree(root: Path, base: Path, patterns: Iterable[str] = ("**/*",)) -> list[tuple[str, bytes]]:
    """(path relative to `base`, bytes) for files under `root` matching `patterns`, sorted."""
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in root.glob(pattern) if p.is_file())
    return [
        (p.relative_to(base).as_posix(), p.read_bytes())
        for p in sorted(found)
        if "__pycache__" not in p.parts and not p.name.endswith((".pyc", ".tmp"))
    ]


# ---------------------------------------------------------------- the steps


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BuildError(
            f"{name} not found: the web lab's build needs Node.js and npm "
            "(Debian: apt install nodejs npm; or https://nodejs.org)"
        )
    return path


def _run(argv: list[str], cwd: Path, what: str) -> None:
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BuildError(f"{what}: cannot run {argv[0]}: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise BuildError(f"{what} failed (exit {proc.returncode}):\n{tail}")


def ensure_node_modules(web: Path = WEB) -> bool:
    """`npm ci` when node_modules is missing or older than the lock file; True when it ran."""
    lock = web / "package-lock.json"
    stamp = web / "node_modules" / ".package-lock.json"  # npm rewrites it on every install
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return False
    _tool("node")
    npm = _tool("npm")
    _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], web, "npm ci")
    stamp.touch()
    return True


def bundle(out: Path, *, src: Path, web: Path = WEB) -> None:
    """esbuild: src/main.js -> app.js, src/worker.js -> worker.js (ESM: a module worker)."""
    esbuild = web / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists():
        raise BuildError(f"{esbuild} is missing: run npm ci in {web}")
    for name in ("main.js", "worker.js"):
        if not (src / name).exists():
            raise BuildError(f"{src / name} is missing: the page's sources are incomplete")
    _run(
        [
            str(esbuild),
            f"app={src / 'main.js'}",
            f"worker={src / 'worker.js'}",
            "--bundle",
            "--format=esm",
            "--platform=browser",
            "--target=es2022",
            "--minify",
            "--sourcemap",
            "--log-level=warning",
            f"--outdir={out}",
        ],
        web,
        "esbuild",
    )


def hvlab_wheel(version: str, root: Path = ROOT) -> tuple[str, bytes]:
    """The hvlab wheel (PEP 427), built in memory from the sources: (file name, bytes)."""
    files: list[tuple[str, bytes]] = []
    for package in WHEEL_PACKAGES:
        files += _tree(root / package, root, ("**/*.py", *package_data(package, root)))
    files += [(name, (root / name).read_bytes()) for name in WHEEL_MODULES]
    dist = f"hvlab-{version}.dist-info"
    requires = "".join(f"Requires-Dist: {d}\n" for d in ("markdown-it-py>=3", "mdurl"))
    files += [
        (
            f"{dist}/METADATA",
            (
                "Metadata-Version: 2.1\nName: hvlab\n"
                f"Version: {version}\nSummary: A hands-on lab for hypervisor security\n"
                f"Requires-Python: >=3.11\n{requires}"
            ).encode(),
        ),
        (
            f"{dist}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: hvlab web.build\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
        (f"{dist}/top_level.txt", b"lab\nweb\n"),
    ]
    record = []
    for name, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}\n")
    record.append(f"{dist}/RECORD,,\n")
    files.append((f"{dist}/RECORD", "".join(record).encode()))
    return f"hvlab-{version}-py3-none-any.whl", _zip(files)


def dependency_wheels(cache: Path) -> list[Path]:
    """markdown-it-py and mdurl wheels at the installed versions, downloaded once into `cache`."""
    paths = []
    missing = []
    for dist in DEPENDENCIES:
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            raise BuildError(f"{dist} is not installed: pip install -e . first") from None
        stem = dist.replace("-", "_")
        found = sorted(cache.glob(f"{stem}-{version}-*.whl"))
        if found:
            paths.append(found[0])
        else:
            missing.append(f"{dist}=={version}")
    if missing:
        cache.mkdir(parents=True, exist_ok=True)
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                str(cache),
                *missing,
            ],
            ROOT,
            "downloading the wheels of " + ", ".join(missing),
        )
        return dependency_wheels(cache)
    return paths


def lessons_zip(lessons: Path) -> bytes:
    """lessons/ (the course's scenarios and guest programs travel in the hvlab wheel), each
    lesson without its instructor notes: they never reach a student's browser."""
    from lab.lesson.parser import without_notes

    def sent(name: str, data: bytes) -> bytes:
        if not name.endswith(".md"):
            return data
        try:
            return without_notes(data.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return data  # not a lesson the lab can read: it says so in the page

    return _zip([(f"lessons/{name}", sent(name, data)) for name, data in _tree(lessons, lessons)])


def write_words(out: Path) -> bool:
    """The chrome's words for the page: uitext/<lang>.json (English where a language has no
    entry) and uitext/languages.json (code -> name). True when a file changed."""
    from uitext import LANGUAGES, strings

    changed = _write_if_changed(out / "languages.json", json.dumps(LANGUAGES, ensure_ascii=False).encode())
    for lang in LANGUAGES:
        data = json.dumps(strings(lang), ensure_ascii=False, sort_keys=True).encode()
        changed |= _write_if_changed(out / f"{lang}.json", data)
    for stale in out.glob("*.json"):
        if stale.stem not in LANGUAGES and stale.name != "languages.json":
            stale.unlink()
    return changed


def engine_hash(out: Path, names: Iterable[str]) -> str:
    """SHA-256 over the named files of the site (names and bytes): what the worker's memory
    snapshot of the engine was made from. It keys the snapshot, so a rebuild that changes any
    of them (a wheel, a lesson, Pyodide, the worker) never meets a stale one."""
    digest = hashlib.sha256()
    for name in names:
        data = (out / name).read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def trimmed_stdlib(data: bytes) -> bytes:
    """Pyodide's python_stdlib.zip without STDLIB_LEFT_OUT, deflated at STDLIB_LEVEL (same input,
    same bytes: the entries keep their order, names and dates)."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        kept = [i for i in src.infolist() if not left_out(i.filename)]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=STDLIB_LEVEL) as out:
            for info in kept:
                copy = zipfile.ZipInfo(info.filename, info.date_time)
                copy.external_attr = info.external_attr
                copy.compress_type = zipfile.ZIP_STORED if info.is_dir() else zipfile.ZIP_DEFLATED
                out.writestr(copy, src.read(info))
    return buf.getvalue()


def left_out(name: str) -> bool:
    """Is this path of the stdlib zip in STDLIB_LEFT_OUT (or in a package that is)?"""
    return any(name == path or name.startswith(path + "/") for path in STDLIB_LEFT_OUT)


def left_out_modules() -> list[str]:
    """STDLIB_LEFT_OUT as module names (`concurrent.futures.process`), for the manifest."""
    return sorted(path.removesuffix(".py").replace("/", ".") for path in STDLIB_LEFT_OUT)


def empty_lock(data: bytes) -> bytes:
    """pyodide-lock.json with no packages: the page loads none (its wheels are unpacked, not
    installed by Pyodide's loader), yet Pyodide reads the lock's `info` at start-up."""
    lock = json.loads(data)
    return json.dumps({"info": lock["info"], "packages": {}}, sort_keys=True).encode()


def pyodide_files(package: Path, cache: Path) -> dict[str, bytes]:
    """The files of the pinned pyodide npm package the page loads, trimmed (the stdlib's trim is
    cached by the input's hash: it takes a second or two)."""
    files = {}
    for name in PYODIDE_FILES:
        path = package / name
        if not path.exists():
            raise BuildError(f"{path} is missing: the pinned pyodide package is incomplete")
        files[name] = path.read_bytes()
    stdlib = files["python_stdlib.zip"]
    kept = cache / f"stdlib-{_sha256(stdlib)[:HASH_LENGTH]}-{_sha256(repr(STDLIB_LEFT_OUT).encode())[:8]}.zip"
    if not kept.exists():
        cache.mkdir(parents=True, exist_ok=True)
        _write_if_changed(kept, trimmed_stdlib(stdlib))
    files["python_stdlib.zip"] = kept.read_bytes()
    files["pyodide-lock.json"] = empty_lock(files["pyodide-lock.json"])
    return files


def content_folder(group: str, files: dict[str, bytes]) -> str:
    """`group/HASH/`: where `files` (name -> bytes) live in the site, HASH taken over them all."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{len(files[name])}\0".encode())
        digest.update(files[name])
    return f"{group}/{digest.hexdigest()[:HASH_LENGTH]}/"


def publish(out: Path, folder: str, files: dict[str, bytes]) -> list[str]:
    """Write `files` into out/folder (content_folder's name); their paths in the site."""
    for name, data in files.items():
        _write_if_changed(out / folder / name, data)
    return [folder + name for name in files]


def remove_stale(out: Path, kept: Iterable[str]) -> None:
    """Everything under the HASHED_DIRS that this build did not write (an older build's), and a
    preview's lessons unless `kept` names them."""
    keep = {out / path for path in kept}
    for group in HASHED_DIRS:
        root = out / group
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*"), reverse=True):  # files before their folders
            copy_of = path.with_suffix("") if path.suffix[1:] in ENCODINGS else None
            if path.is_file() and path not in keep and copy_of not in keep:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    for name in ("lessons.zip", PREVIEW_STAMP):  # a preview's (or the layout before content folders)
        if out / name not in keep:
            (out / name).unlink(missing_ok=True)


def precompress(
    out: Path, names: Iterable[str], cache: Path, echo: Callable[[str], None] = lambda line: None
) -> list[str]:
    """`NAME.br` and `NAME.gz` next to each compressible file among `names` (a server sends one of
    them as Content-Encoding). Each is made once per content (cached under `cache` by the
    file's hash: brotli at its best takes a minute for the wasm) and kept only when smaller than
    the file. Returns the copies' paths in the site."""
    cache.mkdir(parents=True, exist_ok=True)
    made: list[str] = []
    brotli_jobs: list[tuple[str, str]] = []
    pending: list[tuple[Path, Path, int]] = []
    for name in names:
        path = out / name
        if not name.endswith(COMPRESSIBLE) or path.stat().st_size < MIN_COMPRESS:
            continue
        data = path.read_bytes()
        key = _sha256(data)
        for suffix in ENCODINGS:
            if suffix == "br" and name.endswith(NO_BROTLI):
                continue
            cached = cache / f"{key}.{suffix}"
            if not cached.exists():
                if suffix == "gz":
                    _write_if_changed(cached, gzip.compress(data, compresslevel=9, mtime=0))
                else:
                    brotli_jobs.append((str(path), str(cached)))
            pending.append((cached, path.with_name(f"{path.name}.{suffix}"), len(data)))
    if brotli_jobs:
        big = sum(Path(source).stat().st_size for source, _ in brotli_jobs) > 4_000_000
        echo(
            f"brotli: {len(brotli_jobs)} files"
            + (" (a minute or two: it is kept for the next build)" if big else "")
        )
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as jobs:
            json.dump(brotli_jobs, jobs)
        try:
            _run([_tool("node"), str(WEB / "compress.mjs"), jobs.name], WEB, "brotli compression")
        finally:
            os.unlink(jobs.name)
    for cached, copy, size in pending:
        os.utime(cached)  # used: _prune_cache keeps it
        data = cached.read_bytes()
        if len(data) < size:
            _write_if_changed(copy, data)
            made.append(copy.relative_to(out).as_posix())
        else:
            copy.unlink(missing_ok=True)
    _prune_cache(cache)
    return made


def _prune_cache(cache: Path) -> None:
    cutoff = time.time() - CACHE_DAYS * 86400
    for path in cache.iterdir():
        if path.suffix in (".br", ".gz") and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def remove_stale_copies(out: Path, made: Iterable[str]) -> None:
    """Precompressed copies this build did not make (their file is gone, or no longer compresses)."""
    keep = {out / name for name in made}
    for suffix in ENCODINGS:
        for path in out.rglob(f"*.{suffix}"):
            if path not in keep:
                path.unlink()


def service_worker(build_id: str, files: dict[str, str], source: Path) -> bytes:
    """sw.js: web/src/sw.js after this build's id and files (path -> SHA-256). A new build
    makes a service worker of other bytes, which is how browsers learn that it changed."""
    hashed = [f"{group}/" for group in HASHED_DIRS]
    head = json.dumps({"id": build_id, "files": files, "hashed": hashed}, indent=1, sort_keys=True)
    text = source.read_text(encoding="utf-8")
    intro = f"// hvlab web build {build_id}: the files of this build, and their SHA-256."
    return f"{intro}\nconst BUILD = {head};\n\n{text}".encode()


def host_headers() -> bytes:
    """_headers (Netlify's and Cloudflare Pages' format): the content folders are immutable. The
    rest keeps those hosts' default, revalidation, which is what entry points need."""
    rules = "".join(f"/{group}/*\n  Cache-Control: {IMMUTABLE}\n" for group in HASHED_DIRS)
    return f"# hvlab web build: cache rules (docs/hosting.md)\n{rules}".encode()


# ---------------------------------------------------------------- the whole build


def build(
    out: Path = DEFAULT_OUT,
    *,
    src: Path = WEB / "src",
    static: Path = WEB / "static",
    cache: Path | None = None,
    lessons: Path | None = None,
    preview: bool = False,
    echo: Callable[[str], None] = lambda line: None,
) -> BuildReport:
    """Build the site into `out`; see the module doc for what it holds. `lessons`: another
    folder of lessons than the course's. `preview` (web/preview.py): a site whose lessons
    change while it is served, so the page keeps no engine snapshot (the manifest has no
    `engine`) and polls `preview.json` for the lessons' stamp."""
    from lab.session import DEFAULT_LESSONS

    started = time.perf_counter()
    out = Path(out).resolve()  # esbuild and npm run in web/: a relative path would land there
    cache = cache or default_cache()
    report = BuildReport(out)
    out.mkdir(parents=True, exist_ok=True)
    node_modules = WEB / "node_modules"
    site: list[str] = []  # every file of this build, by its path in the site

    if ensure_node_modules():
        report.steps.append("npm ci")
        echo("npm ci: installed web/node_modules")
    bundle(out, src=src)
    report.steps.append("esbuild")
    site += ["app.js", "app.js.map", "worker.js", "worker.js.map"]
    if not static.is_dir():
        raise BuildError(f"{static} is missing: the page's static files are incomplete")
    for path in sorted(static.rglob("*")):
        if path.is_file():
            _copy_if_changed(path, out / path.relative_to(static))
            site.append(path.relative_to(static).as_posix())
    _copy_if_changed(node_modules / "@xterm" / "xterm" / "css" / "xterm.css", out / "xterm.css")
    site.append("xterm.css")

    pyodide = pyodide_files(node_modules / "pyodide", cache)
    pyodide_dir = content_folder("pyodide", pyodide)
    pyodide_paths = publish(out, pyodide_dir, pyodide)

    version = project_version()
    name, data = hvlab_wheel(version)
    wheels = {name: data} | {path.name: path.read_bytes() for path in dependency_wheels(cache)}
    wheel_paths = []
    for name, data in wheels.items():
        wheel_paths += publish(out, content_folder("wheels", {name: data}), {name: data})
    course = {"lessons.zip": lessons_zip(lessons or DEFAULT_LESSONS)}
    # A preview's lessons change while it is served (web/preview.py rewrites lessons.zip and its
    # stamp): they keep one name; anything else's sit in a content folder.
    lessons_paths = publish(out, "" if preview else content_folder("course", course), course)
    kept = [*pyodide_paths, *wheel_paths, *lessons_paths, *([PREVIEW_STAMP] if preview else [])]
    remove_stale(out, kept)
    site += [*pyodide_paths, *wheel_paths, *lessons_paths]

    if write_words(out / "uitext"):
        report.steps.append("uitext")
    site += [f"uitext/{p.name}" for p in sorted((out / "uitext").glob("*.json"))]

    engine_files = [*pyodide_paths, *wheel_paths, *lessons_paths, "worker.js"]
    manifest = {
        "version": version,
        "pyodide": json.loads((node_modules / "pyodide" / "package.json").read_text(encoding="utf-8"))[
            "version"
        ],
        "pyodide_dir": pyodide_dir,
        "stdlib_left_out": left_out_modules(),
        "wheels": wheel_paths,
        "lessons": lessons_paths[0],
        "engine": "" if preview else engine_hash(out, engine_files),
    }
    if preview:
        manifest["preview"] = PREVIEW_STAMP
    # The build's id: every file the page may load (sw.js and the manifest aside), by content.
    hashes = {path: _sha256((out / path).read_bytes()) for path in sorted(site) if not path.endswith(".map")}
    manifest["files"] = {path: (out / path).stat().st_size for path in hashes}
    build_id = hashlib.sha256(json.dumps([manifest, hashes]).encode()).hexdigest()[:HASH_LENGTH]
    manifest["build"] = build_id
    manifest_bytes = (json.dumps(manifest, indent=1) + "\n").encode()
    _write_if_changed(out / "manifest.json", manifest_bytes)
    hashes["manifest.json"] = _sha256(manifest_bytes)
    if preview:  # no offline copy of lessons that change (the page removes an older one)
        (out / "sw.js").unlink(missing_ok=True)
    else:
        _write_if_changed(out / "sw.js", service_worker(build_id, hashes, src / "sw.js"))
        site.append("sw.js")
    _write_if_changed(out / "_headers", host_headers())
    site += ["manifest.json", "_headers"]

    copies = precompress(out, site, cache / "compressed", echo)
    remove_stale_copies(out, copies)
    report.files = {path: (out / path).stat().st_size for path in sorted([*site, *copies])}
    report.page_bytes = sum(manifest["files"].values())
    report.brotli_bytes = sum(
        report.files.get(f"{path}.br", size) for path, size in manifest["files"].items()
    )
    report.build = build_id
    report.seconds = time.perf_counter() - started
    return report


def main(out: Path = DEFAULT_OUT, *, lessons: Path | None = None) -> int:
    """The command: build, then one line of what and how big (errors as one clear message)."""
    if lessons is not None and not lessons.is_dir():
        print(f"hvlab: web build: --lessons {lessons} is not a folder", file=sys.stderr)
        return 1
    try:
        report = build(out, lessons=lessons, echo=lambda line: print(f"hvlab: {line}", file=sys.stderr))
    except BuildError as exc:
        print(f"hvlab: web build: {exc}", file=sys.stderr)
        return 1
    print(
        f"hvlab: built the web lab in {report.out}: {len(report.files)} files, the page's "
        f"{report.page_bytes / 1e6:.1f} MB ({report.brotli_bytes / 1e6:.1f} MB as brotli), "
        f"{report.seconds:.1f} s"
    )
    return 0
