"""`hvlab web build`: the browser lab as a self-contained static site.

    build(Path("build/web"))          # -> the BuildReport; BuildError says what is missing
    hvlab web build [--out DIR]       # the same from the command line

What lands in the output directory (the page and the worker speak the front-end protocol,
docs/reference/protocol.md):

    index.html styles.css ...   web/static, copied as is
    app.js worker.js (+ .map)   esbuild bundles of web/src/main.js and web/src/worker.js
    uitext/                     the chrome's words, <lang>.json per language, and languages.json
    xterm.css                   the terminal's stylesheet from the npm package
    pyodide/                    the files pyodide.mjs loads: the asm module and wasm, the stdlib, the lock
    wheels/                     hvlab (lab and web/bridge.py), markdown-it-py, mdurl: pure-Python wheels
    lessons.zip                 lessons/ (scenarios and guest programs are in the hvlab wheel), or
                                the folder `--lessons` names, with its own scenarios and programs
    manifest.json               what the worker loads, every file's size, and `engine`: the hash
                                that keys the worker's memory snapshot (see engine_hash)

Nothing is fetched from another origin at run time. A rebuild with nothing
changed skips `npm ci` (node_modules newer than the lock) and the wheel
download (cached under build/web-cache), and rewrites only files whose bytes
changed, so it takes about a second.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import subprocess
import sys
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
# The engine's dependencies, as wheels from PyPI at the versions this Python has installed.
DEPENDENCIES: Final = ("markdown-it-py", "mdurl")
# What the page's wheel holds: the engine (lab/, with its guest programs and scenarios) and the
# worker's bridge. Nothing else runs in the page: not the TUI (Textual does not run in a
# browser), not this build or its server, not the benchmarks, not the command line.
WHEEL_PACKAGES: Final = ("lab",)
WHEEL_MODULES: Final = ("web/__init__.py", "web/bridge.py")
ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)  # fixed: the same sources make the same bytes


class BuildError(Exception):
    """Something the build needs is missing or failed; the message says what to do."""


@dataclass(slots=True)
class BuildReport:
    out: Path
    files: dict[str, int] = field(default_factory=dict)  # path in the site -> bytes
    steps: list[str] = field(default_factory=list)  # what was done, for the log
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


def _zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


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
    report = BuildReport(out)
    out.mkdir(parents=True, exist_ok=True)
    node_modules = WEB / "node_modules"

    if ensure_node_modules():
        report.steps.append("npm ci")
        echo("npm ci: installed web/node_modules")
    bundle(out, src=src)
    report.steps.append("esbuild")
    if not static.is_dir():
        raise BuildError(f"{static} is missing: the page's static files are incomplete")
    for path in sorted(static.rglob("*")):
        if path.is_file():
            _copy_if_changed(path, out / path.relative_to(static))
    _copy_if_changed(node_modules / "@xterm" / "xterm" / "css" / "xterm.css", out / "xterm.css")

    pyodide = node_modules / "pyodide"
    for name in PYODIDE_FILES:
        if not (pyodide / name).exists():
            raise BuildError(f"{pyodide / name} is missing: the pinned pyodide package is incomplete")
        _copy_if_changed(pyodide / name, out / "pyodide" / name)

    version = project_version()
    wheels = out / "wheels"
    name, data = hvlab_wheel(version)
    if _write_if_changed(wheels / name, data):
        report.steps.append(f"wheel {name}")
    wheel_names = [name]
    for path in dependency_wheels(cache or default_cache()):
        _copy_if_changed(path, wheels / path.name)
        wheel_names.append(path.name)
    for stale in wheels.glob("*.whl"):
        if stale.name not in wheel_names:
            stale.unlink()

    if write_words(out / "uitext"):
        report.steps.append("uitext")

    if _write_if_changed(out / "lessons.zip", lessons_zip(lessons or DEFAULT_LESSONS)):
        report.steps.append("lessons.zip")

    manifest_path = out / "manifest.json"
    listed = sorted(
        p for p in out.rglob("*") if p.is_file() and p != manifest_path and not p.name.endswith(".tmp")
    )
    report.files = {p.relative_to(out).as_posix(): p.stat().st_size for p in listed}
    wheel_paths = [f"wheels/{n}" for n in wheel_names]
    engine_files = [f"pyodide/{n}" for n in PYODIDE_FILES] + wheel_paths + ["lessons.zip", "worker.js"]
    manifest = {
        "version": version,
        "pyodide": json.loads((pyodide / "package.json").read_text(encoding="utf-8"))["version"],
        "wheels": wheel_paths,
        "lessons": "lessons.zip",
        "engine": "" if preview else engine_hash(out, engine_files),
        "files": report.files,
    }
    if preview:
        manifest["preview"] = PREVIEW_STAMP
    _write_if_changed(manifest_path, (json.dumps(manifest, indent=1) + "\n").encode())
    report.files["manifest.json"] = manifest_path.stat().st_size
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
        f"hvlab: built the web lab in {report.out}: {len(report.files)} files, "
        f"{report.total / 1e6:.1f} MB, {report.seconds:.1f} s"
    )
    return 0
