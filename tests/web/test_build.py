"""`hvlab web build`: the site's tree, a valid wheel, nothing loaded from another origin."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from pathlib import Path

import pytest

import web.build
from hvlab import cli
from web.build import PYODIDE_FILES, BuildError, build

# Hosts a bundle would load code from if it were not self-contained.
CDN_HOSTS = ("jsdelivr", "unpkg.com", "cdnjs", "googleapis", "esm.sh", "skypack", "cdn.")


def test_the_site_has_the_contract_layout(site: Path):
    for name in ("index.html", "styles.css", "app.js", "worker.js", "xterm.css", "lessons.zip"):
        assert (site / name).is_file(), name
    for name in PYODIDE_FILES:
        assert (site / "pyodide" / name).stat().st_size > 0, name
    manifest = json.loads((site / "manifest.json").read_text())
    wheels = [Path(w).name for w in manifest["wheels"]]
    assert [w.split("-")[0] for w in wheels] == ["hvlab", "markdown_it_py", "mdurl"]
    assert manifest["lessons"] == "lessons.zip"
    for name, size in manifest["files"].items():
        assert (site / name).stat().st_size == size, name
    with zipfile.ZipFile(site / "lessons.zip") as zf:
        names = set(zf.namelist())
    assert {"lessons/03-control-api.md", "lessons/03-control-api.de.md"} <= names
    assert all(n.startswith("lessons/") for n in names)
    # The chrome's words, for the page to fetch itself: every language, every message.
    from uitext import LANGUAGES, strings

    assert json.loads((site / "uitext" / "languages.json").read_text()) == LANGUAGES
    for lang in LANGUAGES:
        assert json.loads((site / "uitext" / f"{lang}.json").read_text(encoding="utf-8")) == strings(lang)


def test_the_hvlab_wheel_is_valid(site: Path):
    (wheel,) = (site / "wheels").glob("hvlab-*.whl")
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
    names = [f"pyodide/{n}" for n in PYODIDE_FILES] + manifest["wheels"] + ["lessons.zip", "worker.js"]
    assert manifest["engine"] == web.build.engine_hash(site, names)
    # A copy of those files with one lesson byte changed hashes differently: the worker's
    # snapshot of a rebuilt site is never taken for the old one's.
    copy = tmp_path / "copy"
    for name in names:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((site / name).read_bytes())
    assert web.build.engine_hash(copy, names) == manifest["engine"]
    lessons = bytearray((copy / "lessons.zip").read_bytes())
    lessons[100] ^= 1
    (copy / "lessons.zip").write_bytes(bytes(lessons))
    assert web.build.engine_hash(copy, names) != manifest["engine"]
