"""`hvlab web build`: the site's tree, content folders, precompressed copies, the service worker's
list, a valid wheel, nothing loaded from another origin."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

import web.build
from hvlab import cli
from tests.tools import require_tool
from web.build import PYODIDE_FILES, BuildError, build

# Hosts a bundle would load code from if it were not self-contained.
CDN_HOSTS = ("jsdelivr", "unpkg.com", "cdnjs", "googleapis", "esm.sh", "skypack", "cdn.")


def test_the_site_has_the_contract_layout(site: Path):
    for name in ("index.html", "styles.css", "app.js", "worker.js", "xterm.css", "sw.js", "app.webmanifest"):
        assert (site / name).is_file(), name
    manifest = json.loads((site / "manifest.json").read_text())
    for name in PYODIDE_FILES:
        assert (site / manifest["pyodide_dir"] / name).stat().st_size > 0, name
    wheels = [Path(w).name for w in manifest["wheels"]]
    assert [w.split("-")[0] for w in wheels] == ["hvlab", "markdown_it_py", "mdurl"]
    assert re.fullmatch(r"course/[0-9a-f]{16}/lessons\.zip", manifest["lessons"])
    for name, size in manifest["files"].items():
        assert (site / name).stat().st_size == size, name
    with zipfile.ZipFile(site / manifest["lessons"]) as zf:
        names = set(zf.namelist())
    assert {"lessons/03-control-api.md", "lessons/03-control-api.de.md"} <= names
    assert all(n.startswith("lessons/") for n in names)
    # The chrome's words, for the page to fetch itself: every language, every message.
    from uitext import LANGUAGES, strings

    assert json.loads((site / "uitext" / "languages.json").read_text()) == LANGUAGES
    for lang in LANGUAGES:
        assert json.loads((site / "uitext" / f"{lang}.json").read_text(encoding="utf-8")) == strings(lang)


def test_big_files_sit_in_folders_named_by_their_bytes(site: Path, tmp_path: Path):
    """pyodide/HASH/, wheels/HASH/, course/HASH/: a host may cache them for good, because other
    bytes get another name. Nothing else lives in those folders, and no older build's remains."""
    manifest = json.loads((site / "manifest.json").read_text())
    loaded = [manifest["pyodide_dir"] + n for n in PYODIDE_FILES] + manifest["wheels"] + [manifest["lessons"]]
    folders: dict[str, dict[str, bytes]] = {}
    for path in loaded:
        folder, _, name = path.rpartition("/")
        folders.setdefault(folder + "/", {})[name] = (site / path).read_bytes()
    for folder, files in folders.items():
        assert web.build.content_folder(folder.split("/")[0], files) == folder
    on_disk = {
        p.relative_to(site).as_posix()
        for group in web.build.HASHED_DIRS
        for p in (site / group).rglob("*")
        if p.is_file() and p.suffix not in (".br", ".gz")
    }
    assert on_disk == set(loaded)
    # An older build's folder goes; the current one stays, with its precompressed copies.
    old = site / "course" / "0123456789abcdef"
    old.mkdir()
    (old / "lessons.zip").write_bytes(b"an older build's")
    web.build.remove_stale(site, loaded)
    assert not old.exists() and all((site / path).is_file() for path in loaded)
    assert (site / (manifest["pyodide_dir"] + "pyodide.asm.wasm.br")).is_file()


def test_the_page_downloads_no_package_lock_and_no_stdlib_it_cannot_use(site: Path):
    manifest = json.loads((site / "manifest.json").read_text())
    folder = site / manifest["pyodide_dir"]
    lock = json.loads((folder / "pyodide-lock.json").read_text())
    assert lock["packages"] == {} and lock["info"]["python"].startswith("3.")
    with zipfile.ZipFile(folder / "python_stdlib.zip") as zf:
        names = zf.namelist()
        assert zf.testzip() is None
    assert not [n for n in names if web.build.left_out(n)]
    assert {"asyncio/__init__.py", "json/__init__.py", "zipfile/__init__.py", "encodings/cp437.py"} <= set(
        names
    )
    assert manifest["stdlib_left_out"] == web.build.left_out_modules()
    assert "unittest" in manifest["stdlib_left_out"] and "pdb" in manifest["stdlib_left_out"]
    # (tests/web/pyodide_runner.mjs imports every module kept: none needs one left out.)


def decompressed(path: Path) -> bytes:
    if path.suffix == ".gz":
        return gzip.decompress(path.read_bytes())
    node = require_tool("node")
    script = "const {readFileSync: r} = require('fs'); " + (
        "process.stdout.write(require('zlib').brotliDecompressSync(r(process.argv[1])))"
    )
    return subprocess.run([node, "-e", script, str(path)], capture_output=True, check=True).stdout


def test_compressible_files_come_precompressed_with_brotli_and_gzip(site: Path):
    manifest = json.loads((site / "manifest.json").read_text())
    wasm = site / manifest["pyodide_dir"] / "pyodide.asm.wasm"
    for path in (wasm, site / "app.js", site / "index.html", site / "uitext" / "de.json"):
        for suffix in (".br", ".gz"):
            copy = path.with_name(path.name + suffix)
            assert decompressed(copy) == path.read_bytes(), copy
    assert (wasm.with_name(wasm.name + ".br")).stat().st_size < wasm.stat().st_size * 0.32  # 9.6 MB -> 2.8
    # Deflated zips are not compressed again; every copy belongs to a file of the build.
    for copy in [*site.rglob("*.br"), *site.rglob("*.gz")]:
        original = copy.with_suffix("")
        assert original.is_file() and original.suffix not in (".zip", ".whl"), copy
        assert copy.stat().st_size < original.stat().st_size
    assert not list(site.rglob("*.whl.br")) and not list(site.rglob("*.map.br"))


def test_the_service_worker_lists_every_file_of_the_build_with_its_hash(site: Path):
    manifest = json.loads((site / "manifest.json").read_text())
    text = (site / "sw.js").read_text()
    build = json.loads(re.search(r"^const BUILD = (\{.*?\n\});$", text, re.MULTILINE | re.DOTALL).group(1))
    assert build["id"] == manifest["build"] and re.fullmatch(r"[0-9a-f]{16}", build["id"])
    for path, digest in build["files"].items():
        assert hashlib.sha256((site / path).read_bytes()).hexdigest() == digest, path
    listed = set(build["files"])
    assert {
        "index.html",
        "app.js",
        "worker.js",
        "manifest.json",
        "app.webmanifest",
        "uitext/de.json",
    } <= listed
    assert set(manifest["files"]) | {"manifest.json"} == listed
    assert not [p for p in listed if p.endswith((".map", ".br", ".gz")) or p in ("sw.js", "_headers")]
    assert build["hashed"] == [f"{g}/" for g in web.build.HASHED_DIRS]
    assert text.split("\n", 1)[0].startswith(f"// hvlab web build {build['id']}")
    # Netlify's and Cloudflare Pages' rules: the content folders immutable, nothing else.
    rules = (site / "_headers").read_text()
    assert rules.count("immutable") == len(web.build.HASHED_DIRS) and "/pyodide/*" in rules


def test_the_web_app_manifest_makes_the_lab_installable(site: Path):
    app = json.loads((site / "app.webmanifest").read_text())
    assert app["display"] == "standalone" and app["start_url"] == "./" and app["scope"] == "./"
    for icon in app["icons"]:
        assert (site / icon["src"]).is_file()
    assert '<link rel="manifest" href="app.webmanifest"' in (site / "index.html").read_text()


def test_the_hvlab_wheel_is_valid(site: Path):
    (wheel,) = (site / "wheels").rglob("hvlab-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        dist = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(f"{dist}/METADATA").decode()
        assert "Name: hvlab" in metadata and "Requires-Dist: markdown-it-py" in metadata
        assert "Root-Is-Purelib: true" in zf.read(f"{dist}/WHEEL").decode()
        record = [line.split(",") for line in zf.read(f"{dist}/RECORD").decode().splitlines()]
        recorded = {path for path, _, _ in record}
        assert recorded == set(names)
        for path, digest, size in record:
            if path.endswith("RECORD"):
                continue
            data = zf.read(path)
            want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={want}" and int(size) == len(data), path
    for module in ("lab/session/session.py", "lab/cpu/interp.py", "web/bridge.py"):
        assert module in names
    # Only what the page runs: the engine and the bridge, no front end, tool or test data.
    tops = {n.split("/")[0] for n in names if not n.startswith(dist)}
    assert tops == {"lab", "web"}, tops
    assert {n for n in names if n.startswith("web/")} == {"web/__init__.py", "web/bridge.py"}
    assert not any(n.endswith((".elf", ".pcap")) or "/tests/" in n for n in names)
    assert "lab/scenarios/api.toml" in names and not any("__pycache__" in n for n in names)
    # The guest library the guests and the editor `.include` ships too (pyproject's package data).
    assert "lab/guests/lib/sbi.S" in names and "lab/guests/lib/uart.S" in names


def test_nothing_is_loaded_from_another_origin(site: Path):
    for name in ("index.html", "app.js", "worker.js"):
        text = (site / name).read_text(encoding="utf-8").lower()
        for host in CDN_HOSTS:
            assert host not in text, f"{name} names {host}"
    html = (site / "index.html").read_text(encoding="utf-8")
    for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not re.match(r"(https?:)?//", ref), f"index.html loads {ref}"


def test_a_rebuild_with_nothing_changed_redoes_only_the_bundle(site: Path, monkeypatch, capsys):
    build(site)  # takes in whatever changed in the sources since the session's build
    monkeypatch.chdir(site.parent)  # the command, with --out relative to the working directory
    (site / "app.js").unlink()
    assert cli.main(["web", "build", "--out", site.name]) == 0
    assert (site / "app.js").is_file() and not (web.build.WEB / site.name).exists()
    assert capsys.readouterr().out.startswith(f"hvlab: built the web lab in {site}")
    report = build(site)
    assert "npm ci" not in report.steps and not any(s.startswith("wheel") for s in report.steps)
    assert {"app.js", "worker.js", "index.html"} <= set(report.files)


def test_missing_node_is_one_clear_line(tmp_path, monkeypatch, capsys):
    web_dir = tmp_path / "web"
    web_dir.mkdir()
    (web_dir / "package-lock.json").write_text("{}")
    monkeypatch.setattr(web.build.shutil, "which", lambda name: None)
    with pytest.raises(BuildError, match=r"needs Node\.js and npm"):
        web.build.ensure_node_modules(web_dir)

    ensure = web.build.ensure_node_modules
    monkeypatch.setattr(web.build, "ensure_node_modules", lambda: ensure(web_dir))
    assert cli.main(["web", "build", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hvlab: web build: node not found") and "Traceback" not in err


def test_the_engine_hash_keys_the_snapshot_to_what_it_was_made_from(site: Path, tmp_path):
    manifest = json.loads((site / "manifest.json").read_text())
    pyodide = [manifest["pyodide_dir"] + n for n in PYODIDE_FILES]
    names = [*pyodide, *manifest["wheels"], manifest["lessons"], "worker.js"]
    assert manifest["engine"] == web.build.engine_hash(site, names)
    # A copy of those files with one lesson byte changed hashes differently: the worker's
    # snapshot of a rebuilt site is never taken for the old one's.
    copy = tmp_path / "copy"
    for name in names:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((site / name).read_bytes())
    assert web.build.engine_hash(copy, names) == manifest["engine"]
    lessons = bytearray((copy / manifest["lessons"]).read_bytes())
    lessons[100] ^= 1
    (copy / manifest["lessons"]).write_bytes(bytes(lessons))
    assert web.build.engine_hash(copy, names) != manifest["engine"]
