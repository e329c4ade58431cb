"""The `hvlab` command line: the composition root, above every layer (see README, Layout).

It parses every command once and hands the work to the layer that does it: the engine
(`lab`), the terminal lab (`tui`), the browser lab's build and server (`web`), the
benchmarks (`bench`). Only here do those meet: `hvlab bench --web` builds and serves the
site with `web` and measures it with `bench`, which never import each other.

    hvlab                                   the terminal lab (the lesson picker)
    hvlab tui [LESSON]                      the same, straight into a lesson
    hvlab run PROGRAM|SCENARIO.toml [...]   run guests headless
    hvlab asm FILE.S [-o OUT] [--base ADDR] assemble to a flat image
              [-I DIR]...                   (.include looks in each DIR too)
    hvlab disasm FILE [--base ADDR]         disassemble a flat image or ELF
    hvlab lessons check [PATH|ID ...]       validate lessons (instructors)
    hvlab lessons new ID [--title T]        a new lesson in the current folder, valid as written
    hvlab lessons preview DIR               DIR's lessons in the terminal lab and the page,
                                            reloaded whenever a file of DIR changes
    hvlab record export [--out FILE]        the student's record as one file to hand in
    hvlab verify FILE... [--key KEY]        replay students' records: which steps they really did
    hvlab class seeds --key KEY NAMES...    each student's seed in a course (or --roster FILE)
    hvlab class report DIR [--key KEY]      a folder of records as a table (CSV and HTML)
    hvlab bench [--json] [--web|--pyodide|--tui]
                                            the performance figures (--web: the browser lab's,
                                            --tui: the terminal lab's key latency)
    hvlab web build [--out DIR]             the browser lab as a static site
              [--lessons DIR]               (with another folder of lessons than the course's)
    hvlab web serve [--port N] [--host H]   build it and serve it on 127.0.0.1

Every command reports bad input as one clear line on stderr and a non-zero
exit status, never a traceback.

`hvlab run SCENARIO` prints each console line as `VM | text`; a line longer
than lab.hv.vm.LINE_LIMIT (4096) characters comes out in pieces of that size.
`--input VM=TEXT` types TEXT (UTF-8) with the escapes \\n \\r \\t \\0 \\e \\\\,
\\xHH (a byte) and \\uHHHH (a character); anything else after a backslash is an error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

EXIT_LIMIT: Final = 124  # the instruction limit ran out (as timeout(1) does)
EXIT_FAULT: Final = 125  # the guest faulted
EXIT_ERROR: Final = 1  # bad input: the file, the scenario, an option


def parse_ram(text: str) -> int:
    """'64K', '1M', '1MiB', '0x1000' -> bytes: a scenario's rule for a VM's memory."""
    from lab.scenario import VM, parse_size

    try:
        return parse_size(text, key=VM.key("memory"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_count(text: str) -> int:
    """A number of instructions: 0 or more, decimal or 0x hex, _ allowed."""
    try:
        n = int(text.replace("_", ""), 0) if len(text) <= 40 else -1
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be an integer, 0 or more, not {text[:40]!r}")
    return n


def parse_int(text: str) -> int:
    try:
        return int(text.replace("_", ""), 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text[:40]!r}") from None


# --input VM=TEXT: TEXT is sent as UTF-8, with these escapes (as in C or Python strings).
INPUT_ESCAPES: Final = {"n": b"\n", "r": b"\r", "t": b"\t", "0": b"\0", "e": b"\x1b", "\\": b"\\"}
HEX_ESCAPES: Final = {"x": "04", "u": "20ac"}  # \xHH one byte; \uHHHH one character, sent as UTF-8


def console_input(text: str) -> bytes:
    """--input's TEXT as the bytes a console receives; ValueError names the column and the rule."""
    out = bytearray()
    i = 0
    while i < len(text):
        start = text.find("\\", i)
        if start < 0:
            out += _utf8(text, i, len(text))
            break
        out += _utf8(text, i, start)
        letter = text[start + 1 : start + 2]
        if letter in INPUT_ESCAPES:
            out += INPUT_ESCAPES[letter]
            i = start + 2
        elif letter in HEX_ESCAPES:
            example = HEX_ESCAPES[letter]
            n = len(example)
            digits = text[start + 2 : start + 2 + n]
            if len(digits) != n or not all(c in "0123456789abcdefABCDEF" for c in digits):
                rule = f"\\{letter} takes exactly {n} hex digits, as in \\{letter}{example}"
                raise ValueError(f"column {start + 1}: {rule}")
            code = int(digits, 16)
            if letter == "x":
                out.append(code)
            elif 0xD800 <= code < 0xE000:
                raise ValueError(f"column {start + 1}: \\u{digits} is a surrogate, not a character")
            else:
                out += chr(code).encode()
            i = start + 2 + n
        else:
            what = f"\\{letter}" if letter else "a \\ at the end"
            known = " ".join(f"\\{k}" for k in [*INPUT_ESCAPES, "xHH", "uHHHH"])
            raise ValueError(f"column {start + 1}: {what} is not an escape (escapes: {known})")
    return bytes(out)


def _utf8(text: str, start: int, end: int) -> bytes:
    """text[start:end] as UTF-8; bytes that were not UTF-8 on the command line come back as
    they were (Python decodes them to U+DC80..U+DCFF, `surrogateescape`)."""
    try:
        return text[start:end].encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise ValueError(f"column {start + exc.start + 1}: a lone surrogate is not a character") from None


def _fail(message: str, status: int = EXIT_ERROR) -> int:
    print(f"hvlab: {message}", file=sys.stderr)
    return status


def _size(text: str) -> tuple[int, int]:
    """A terminal size written COLSxROWS (100x30)."""
    cols, _, rows = text.partition("x")
    if not (cols.isdigit() and rows.isdigit()) or int(cols) < 40 or int(rows) < 12:
        raise argparse.ArgumentTypeError(f"{text!r} is not a terminal size like 100x30")
    return int(cols), int(rows)


# ---------------------------------------------------------------- hvlab run


class _StdinPump:
    """Feeds the guest's UART from stdin: all at once from a pipe or file, line by
    line from a terminal (a reader thread, so the guests keep running)."""

    def __init__(self) -> None:
        self.eof = False
        self._lock = threading.Lock()
        self._pending = bytearray()
        self._event = threading.Event()
        stdin = sys.stdin.buffer if sys.stdin is not None else None
        if stdin is None:
            self.eof = True
        elif sys.stdin.isatty():
            threading.Thread(target=self._reader, args=(stdin,), daemon=True).start()
        else:
            self._pending += stdin.read()
            self.eof = True

    def _reader(self, stdin) -> None:
        while True:
            line = stdin.readline()
            with self._lock:
                if not line:
                    self.eof = True
                else:
                    self._pending += line
            self._event.set()
            if not line:
                return

    def take(self) -> bytes:
        with self._lock:
            data = bytes(self._pending)
            self._pending.clear()
            self._event.clear()
            return data

    def wait(self, timeout: float) -> None:
        self._event.wait(timeout)


def _run_program(args: argparse.Namespace) -> int:
    from lab.hv import Hypervisor, Idle, VmConfig, VmState
    from lab.riscv.program import ProgramError, load_program

    try:
        program = load_program(args.target)
        hv = Hypervisor(backend=args.backend, host_memory=args.memory + (4 << 20))
        out = sys.stdout.buffer
        hv.on_output = lambda vm, data: (out.write(data), out.flush())
        vm = hv.create_vm(VmConfig(Path(args.target).stem, program=program, memory=args.memory))
    except (ProgramError, OSError, ValueError, RuntimeError) as exc:
        return _fail(str(exc))
    pump = _StdinPump()
    limit = args.max_instructions
    started = time.perf_counter()
    status = 0
    while True:
        data = pump.take()
        if data:
            vm.feed(data)
        step = 200_000 if limit is None else min(200_000, limit - hv.time)
        if step <= 0:
            status = _fail(f"stopped after {hv.time} instructions (--max-instructions)", EXIT_LIMIT)
            break
        summary = hv.run(step)
        if vm.state is VmState.HALTED:
            status = vm.exit_code or 0
            break
        if vm.state is VmState.FAULTED:
            assert vm.fault is not None
            status = _fail(f"guest fault: {vm.fault.describe()}", EXIT_FAULT)
            break
        if vm.state is VmState.PAUSED:
            status = _fail(f"guest stopped at a breakpoint (pc {vm.cpu.pc - 4:#010x})", EXIT_FAULT)
            break
        if summary.reason is Idle.IDLE:
            if pump.eof and not vm.uart.has_input:
                break  # the guest waits for input that will never come
            pump.wait(0.05)
    elapsed = time.perf_counter() - started
    if args.stats:
        mips = hv.time / elapsed / 1e6 if elapsed > 0 else 0.0
        print(
            f"hvlab: {hv.time} instructions retired, {vm.hypercalls} hypercalls, "
            f"{elapsed:.3f} s, {mips:.2f} MIPS ({args.backend})",
            file=sys.stderr,
        )
    return status


def _run_scenario(args: argparse.Namespace) -> int:
    from lab.hv.vm import ConsoleLines
    from lab.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(args.target, backend=args.backend, policy=args.policy)
    except (ScenarioError, OSError) as exc:
        return _fail(str(exc))
    hv = scenario.hv
    inputs: list[tuple[str, bytes]] = []
    for item in args.input or []:
        name, sep, text = item.partition("=")
        if not sep:
            return _fail(f"--input takes VM=TEXT, not {item!r}")
        try:
            hv.vm(name)
        except KeyError:
            return _fail(f"--input: no VM named {name!r} (VMs: {', '.join(v.name for v in hv.vms)})")
        try:
            inputs.append((name, console_input(text)))
        except ValueError as exc:
            return _fail(f"--input {name}=...: {exc}")
    width = max(len(v.name) for v in hv.vms)
    consoles = {vm.domid: ConsoleLines() for vm in hv.vms}
    if not args.json:

        def show(vm, data: bytes) -> None:
            for line in consoles[vm.domid].feed(data):
                print(f"{vm.name:>{width}} | {line}", flush=True)

        hv.on_output = show
    for name, data in inputs:
        hv.feed(name, data)
    hv.run(args.steps)
    if args.pcap:
        status = _write_pcaps(hv, args.pcap)
        if status:
            return status
    if args.json:
        json.dump(scenario.report(), sys.stdout, indent=2)
        print()
        return 0
    for vm in hv.vms:
        if rest := consoles[vm.domid].flush():
            print(f"{vm.name:>{width}} | {rest}")
    for vm in hv.vms:
        state = vm.state.label + (" (destroyed)" if vm.destroyed else "")
        fault = f": {vm.fault.describe()}" if vm.fault else ""
        print(f"# {vm.label}: {state}{fault}, {vm.cpu.instret} instructions", file=sys.stderr)
    if args.trace:
        names = {v.domid: v.name for v in hv.vms}
        for line in hv.trace.lines(names):
            print(line)
    return 0


def _write_pcaps(hv, specs: list[str]) -> int:
    """--pcap FILE (the management segment, else the first) or --pcap SEGMENT=FILE."""
    if hv.net is None:
        return _fail("--pcap: this scenario has no network")
    segments = hv.net.network.segments
    for spec in specs:
        name, sep, file = spec.rpartition("=")
        if not sep:
            mgmt = hv.net.mgmt
            name = (
                mgmt.port.segment.name if mgmt is not None and mgmt.port is not None else next(iter(segments))
            )
            file = spec
        if name not in segments:
            return _fail(f"--pcap: no segment {name!r} (segments: {', '.join(segments)})")
        try:
            Path(file).write_bytes(hv.net.network.capture(name))
        except OSError as exc:
            return _fail(f"--pcap: {file}: {exc.strerror or exc}")
        print(f"# captured segment {name} to {file}", file=sys.stderr)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from lab.cpu import backends

    if args.backend not in backends():
        if args.backend == "unicorn":
            return _fail("the unicorn backend needs the unicorn package: pip install 'hvlab[unicorn]'")
        return _fail(f"unknown backend {args.backend!r} (available: {', '.join(backends())})")
    if not os.path.exists(args.target):
        return _fail(f"{args.target}: no such file")
    if args.target.endswith(".toml"):
        return _run_scenario(args)
    return _run_program(args)


# ---------------------------------------------------------------- asm, disasm, bench


def cmd_asm(args: argparse.Namespace) -> int:
    """Write the flat image (default: FILE with .bin); every error of the source on stderr."""
    from lab.riscv.asm import AsmError, assemble_file
    from lab.riscv.program import INCLUDE_DIRS

    try:
        # .include looks where `hvlab run` looks: the file's folder, -I DIRs, the guest library.
        image = assemble_file(args.file, base=args.base, include_dirs=[*args.include_dir, *INCLUDE_DIRS])
    except AsmError as exc:
        print(exc, file=sys.stderr)
        return EXIT_ERROR
    out = Path(args.output) if args.output else Path(args.file).with_suffix(".bin")
    try:
        out.write_bytes(image.data)
    except OSError as exc:
        return _fail(f"cannot write {out}: {exc.strerror or exc}")
    print(f"{out}: {len(image.data)} bytes at {image.base:#010x}, entry {image.entry:#010x}")
    return 0


def cmd_disasm(args: argparse.Namespace) -> int:
    """Print an objdump-like listing of a flat image (loaded at --base) or an ELF."""
    from lab.riscv.disasm import disassemble_file
    from lab.riscv.elf import ElfError

    try:
        listing = disassemble_file(args.file, base=args.base)
    except OSError as exc:
        return _fail(f"{args.file}: cannot read: {exc.strerror or exc}")
    except ElfError as exc:
        return _fail(f"{args.file}: {exc}")
    print(listing, end="")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.tui:
        # The terminal lab is measured as a student runs it (`hvlab tui` in tmux): no import of tui.
        from bench import tui as tui_bench

        checkouts = [Path(c) for c in args.checkout] or [Path(__file__).resolve().parents[1]]
        return tui_bench.main(checkouts, runs=args.runs, size=args.size, json_out=args.json)
    if not args.web and not args.pyodide:
        from bench import suite

        return suite.run(json_out=args.json, quick=args.quick)
    # The browser lab's figures: the site built and served here, measured there (bench
    # and web never import each other; the command line composes them).
    from bench import pyodide as pyodide_bench
    from bench import web as web_bench

    try:
        from web import build, serve
    except ImportError:
        return _fail("the web lab's sources are not installed (run hvlab from a checkout)")
    out = Path(args.site) if args.site else build.DEFAULT_OUT
    if not args.site:
        try:
            build.build(out)
        except build.BuildError as exc:
            return _fail(f"web build: {exc}")
    if args.pyodide:  # the engine in Node.js, from the site's files: no server
        return pyodide_bench.main(out, runs=args.runs, json_out=args.json)
    server = serve.make_server(out, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return web_bench.main(server.url, runs=args.runs, json_out=args.json)
    finally:
        server.shutdown()
        server.server_close()


def cmd_web(args: argparse.Namespace) -> int:
    try:
        from web import build, serve
    except ImportError:
        return _fail("the web lab's sources are not installed (run hvlab from a checkout)")
    out = Path(args.out)
    if args.web_command == "build":
        return build.main(out, lessons=args.lessons)
    return serve.main(out, host=args.host, port=args.port, build=not args.no_build)


def cmd_tui(args: argparse.Namespace) -> int:
    try:
        from tui.app import run_lab
    except ImportError:
        return _fail("the terminal lab needs Textual: pip install 'hvlab[tui]'")
    return run_lab(
        args.lesson,
        lang=args.lang,
        lessons_dir=args.lessons,
        backend=args.backend,
        progress=args.progress,
        student=args.student,
        seed=args.seed,
    )


def cmd_lessons_new(args: argparse.Namespace) -> int:
    from lab.lesson.scaffold import ScaffoldError, scaffold

    try:
        written = scaffold(args.id, Path(args.dir), title=args.title)
    except (ScaffoldError, OSError) as exc:
        return _fail(f"lessons new: {exc}")
    for path in written:
        print(f"wrote {path}")
    folder = "." if Path(args.dir) == Path(".") else str(args.dir)
    print(f"next: hvlab lessons check {folder}      (it validates as it is: change one thing at a time)")
    print(f"      hvlab lessons preview {folder}    (the lab shows it and reloads it as you save)")
    return 0


def cmd_lessons_preview(args: argparse.Namespace) -> int:
    """The lessons of DIR in the terminal lab and in the page, each reloading a lesson whose
    file changed: the page is served from a thread while the terminal lab runs (or alone)."""
    folder = Path(args.dir)
    if not folder.is_dir():
        return _fail(f"lessons preview: {folder} is not a folder")
    server = None
    url = ""
    if not args.no_web:
        try:
            from web import preview
        except ImportError:
            return _fail("the web lab's sources are not installed (run hvlab from a checkout)")
        try:
            site = Path(args.out) if args.out else preview.default_site()
            server = preview.start(folder, site, host=args.host, port=args.port)
        except (preview.BuildError, OSError) as exc:
            return _fail(f"lessons preview: {exc}")
        url = server.url
        print(f"hvlab: the page previews {folder} at {url}", flush=True)
    try:
        if args.no_tui:
            if server is None:
                return _fail("lessons preview: --no-tui and --no-web leave nothing to show")
            print("hvlab: Ctrl-C stops", flush=True)
            server.wait()
            return 0
        try:
            from tui.app import run_lab
        except ImportError:
            return _fail("the terminal lab needs Textual: pip install 'hvlab[tui]' (or use --no-tui)")
        notice = f"Previewing {folder}: a lesson reloads when you save it." + (
            f" The page: {url}" if url else ""
        )
        return run_lab(lang=args.lang, lessons_dir=folder, backend=args.backend, preview=notice)
    except KeyboardInterrupt:
        return 0
    finally:
        if server is not None:
            server.stop()


def _course_key(args: argparse.Namespace) -> str | None:
    """--key KEY, or the first line of --key-file FILE (a key kept out of the shell's history)."""
    if getattr(args, "key_file", None):
        lines = Path(args.key_file).read_text(encoding="utf-8").splitlines()
        key = lines[0].strip() if lines else ""
        if not key:
            raise ValueError(f"{args.key_file}: the first line should hold the course key")
        return key
    return args.key


def _roster(args: argparse.Namespace) -> list[str]:
    from hvlab.classroom import read_names

    return read_names(args.roster) if args.roster else []


def cmd_verify(args: argparse.Namespace) -> int:
    from hvlab.classroom import accepted, summary, verdict_json, verify_files

    try:
        key, roster = _course_key(args), _roster(args)
    except (OSError, ValueError) as exc:
        return _fail(str(exc))
    checked = verify_files(args.files, lessons_dir=args.lessons, key=key, roster=roster, jobs=args.jobs)
    if args.json:
        json.dump([verdict_json(c) for c in checked], sys.stdout, indent=1)
        print()
    else:
        for item in checked:
            print("\n".join(summary(item)))
    return 0 if all(accepted(c) for c in checked) else EXIT_ERROR


def cmd_class(args: argparse.Namespace) -> int:
    from hvlab import classroom

    try:
        key, roster = _course_key(args), _roster(args)
    except (OSError, ValueError) as exc:
        return _fail(str(exc))
    if args.class_command == "seeds":
        names = [*args.names, *roster]
        if not key or not names:
            return _fail(
                "class seeds: give the course key (--key or --key-file) and names (or --roster FILE)"
            )
        for name, seed in classroom.seeds(key, names):
            print(f"{name}\t{seed}")
        return 0
    files = classroom.record_files(args.folder)
    if not files:
        return _fail(f"{args.folder}: no records (*.json) in it")
    checked = classroom.verify_files(files, lessons_dir=args.lessons, key=key, roster=roster, jobs=args.jobs)
    stamp = time.strftime("%Y-%m-%d %H:%M")
    try:
        Path(args.csv).write_text(classroom.report_csv(checked), encoding="utf-8")
        Path(args.html).write_text(classroom.report_html(checked, generated=stamp), encoding="utf-8")
    except OSError as exc:
        return _fail(f"cannot write the report: {exc.strerror or exc}")
    for t in classroom.student_totals(checked):
        who = t.student or t.file
        if t.problem:
            print(f"{who}: not a record: {t.problem}")
        else:
            refused = f", {t.refused_runs} run(s) refused" if t.refused_runs else ""
            print(
                f"{who}: {t.lessons_completed} lesson(s) completed, {t.steps_done} step(s), "
                f"{t.hints} hint(s), {t.answers} answer(s), {t.minutes} min; seed {t.seed_check}{refused}"
            )
    print(f"# wrote {args.csv} and {args.html}", file=sys.stderr)
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    """The TUI's record (next to its progress file) exported as one file to hand in."""
    from lab.session import STUDENT, Session
    from lab.session.record import Journal
    from tui.paths import default_progress_path, record_path

    progress = args.progress or default_progress_path()
    journal = Journal(record_path(progress), append=False)  # read: the lab's engine writes it
    if journal.problem:
        print(f"hvlab: {journal.problem}", file=sys.stderr)
    session = Session(progress_path=progress, seed=STUDENT, journal=journal)
    export = session.export_record()
    out = Path(args.out or export.filename)
    try:
        out.write_text(export.text, encoding="utf-8")
    except OSError as exc:
        return _fail(f"cannot write {out}: {exc.strerror or exc}")
    print(f"{out}: {export.runs} run(s), {export.events} event(s)")
    return 0


def cmd_lessons(args: argparse.Namespace) -> int:
    from lab.lesson.validator import TeachingRules, check

    try:
        paths = lesson_paths(args.paths)
    except ValueError as exc:
        return _fail(f"lessons check: {exc}")
    seeds = tuple(args.seed) if args.seed else None
    return check(
        paths,
        backend_names=args.backend,
        teaching=TeachingRules(args.teaching_rules),
        verbose=args.verbose,
        jobs=args.jobs or os.cpu_count() or 1,
        **({"seeds": seeds} if seeds else {}),
    )


def cmd_lessons_rules(args: argparse.Namespace) -> int:
    """Check detection rule files (every problem as FILE:LINE: ...), and with --score score them,
    together, against the recorded runs of a folder of lessons: what lesson 11's checks ask."""
    from lab.detect import RuleError, parse_rules, read_rules
    from lab.lesson.corpus import CorpusError, corpus_for, no_attacks, score_rules
    from lab.session import DEFAULT_LESSONS

    texts, failed = [], False
    for path in args.files:
        try:
            ruleset = read_rules(path)
        except RuleError as exc:
            print(exc, file=sys.stderr)
            failed = True
            continue
        print(f"{path}: {len(ruleset.rules)} rule(s): {', '.join(r.id for r in ruleset.rules)}")
        texts.append(ruleset.text)
    if failed:
        return EXIT_ERROR
    if not args.score:
        return 0
    try:
        rules = parse_rules("\n\n".join(texts), path="+".join(map(str, args.files)))
    except RuleError as exc:  # two files with a rule of the same id
        return _fail(f"lessons rules: the files together: {exc}")
    here = Path("lessons")
    folder = args.lessons or (here if here.is_dir() else DEFAULT_LESSONS)
    try:
        score = score_rules(rules, corpus_for(folder), only=args.lesson or "")
    except CorpusError as exc:
        return _fail(f"lessons rules: the recorded runs cannot be built: {exc}")
    if args.lesson and not score.attacks:
        return _fail(f"lessons rules: {no_attacks(args.lesson, score)} in {folder}")
    for r in score.rules:
        detected = ", ".join(r.detected) or "-"
        print(f"  {r.rule}: detects {detected}; fires on {len(r.false_positives)} honest run(s)")
        if r.false_example is not None:
            print(f"    {r.false_positives[0]}: {r.false_example.output}")
    if score.missed:
        print(f"missed: {', '.join(r.id for r in score.missed)}")
    if score.false_positives:
        print(f"false positives: {', '.join(r.id for r in score.false_positives)}")
    print(score.summary())
    return 0 if not score.missed and not score.false_positives else EXIT_ERROR


def lesson_paths(names: Sequence[Path]) -> list[Path]:
    """What `hvlab lessons check` proves: each name is a lesson file or folder, or else the id of
    a lesson of the course hvlab carries (its files in every language); no name at all means
    ./lessons when there is one (an instructor's checkout), else that whole course."""
    from lab.session import DEFAULT_LESSONS
    from lab.session.course import Catalogue

    if not names:
        here = Path("lessons")
        return [here if here.is_dir() else DEFAULT_LESSONS]
    paths: list[Path] = []
    course = Catalogue(DEFAULT_LESSONS)
    for name in names:
        if name.exists():
            paths.append(name)
            continue
        files = [lesson.path for lesson in course.all() if lesson.id == str(name)]
        if not files:
            known = ", ".join(course.ids())
            raise ValueError(f"{name}: no such file, nor a lesson of the course (lessons: {known})")
        paths += files
    return paths


# ---------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hvlab",
        description="A hands-on lab for hypervisor security: RISC-V VMs on an emulated hypervisor.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a program or a scenario headless")
    run.add_argument("target", metavar="PROGRAM|SCENARIO", help=".S, .elf, flat .bin, or a scenario .toml")
    run.add_argument("--backend", default="interp", help="CPU backend: interp (default) or unicorn")
    run.add_argument("--memory", type=parse_ram, default=1 << 20, help="RAM of the VM (default 1M)")
    run.add_argument("--max-instructions", type=parse_count, default=None, help="stop after N instructions")
    run.add_argument("--stats", action="store_true", help="print instructions retired and MIPS to stderr")
    run.add_argument("--steps", type=parse_count, default=5_000_000, help="scenario: instructions to run")
    run.add_argument("--input", action="append", metavar="VM=TEXT", help="scenario: console input")
    run.add_argument("--policy", default=None, help="scenario: override the policy preset")
    run.add_argument("--trace", action="store_true", help="scenario: print the trace")
    run.add_argument("--json", action="store_true", help="scenario: print consoles, VMs and trace as JSON")
    run.add_argument(
        "--pcap", action="append", metavar="[SEGMENT=]FILE", help="scenario: save a segment's frames as pcap"
    )
    run.set_defaults(func=cmd_run)

    asm_p = sub.add_parser("asm", help="assemble a source file into a flat image")
    asm_p.add_argument("file", help="assembly source (GNU as syntax)")
    asm_p.add_argument("-o", "--output", help="output file (default: FILE with .bin)")
    asm_p.add_argument(
        "--base",
        type=parse_int,
        default=0x8000_0000,
        metavar="ADDR",
        help="link address (default 0x80000000)",
    )
    asm_p.add_argument(
        "-I",
        "--include-dir",
        action="append",
        default=[],
        metavar="DIR",
        help=".include looks here after the including file's folder (repeatable, in order), "
        "then in the guest library",
    )
    asm_p.set_defaults(func=cmd_asm)

    dis = sub.add_parser("disasm", help="disassemble a flat image or an ELF file")
    dis.add_argument("file", help="a flat image or an ELF32 RISC-V file")
    dis.add_argument(
        "--base",
        type=parse_int,
        default=0x8000_0000,
        metavar="ADDR",
        help="load address of a flat image (default 0x80000000)",
    )
    dis.set_defaults(func=cmd_disasm)

    tui_p = sub.add_parser("tui", help="the terminal lab (the default command)", allow_abbrev=False)
    add_tui_options(tui_p)
    tui_p.set_defaults(func=cmd_tui)

    lessons = sub.add_parser("lessons", help="instructors: work with lessons")
    lessons_sub = lessons.add_subparsers(
        dest="lessons_command", metavar="check|new|preview|rules", required=True
    )
    check = lessons_sub.add_parser("check", help="prove every lesson: solutions, hardening, translations")
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH|ID",
        help="lesson files or folders, or ids of the course's lessons "
        "(default: ./lessons if there is one, else the course installed with hvlab)",
    )
    check.add_argument(
        "--backend", action="append", choices=backends(), help="only this backend (repeatable)"
    )
    check.add_argument(
        "--seed", action="append", type=int, help="a student seed to prove the lessons under (repeatable)"
    )
    check.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="machines run at once, in processes (default: one per CPU)",
    )
    check.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="a line per step and hardened replay, and each check as written and as students read it",
    )
    check.add_argument(
        "--teaching-rules",
        choices=("error", "warn"),
        default="error",
        help="the course's teaching rules (hint ladders, no command in the prose, a closing reflection) "
        "as errors (the default) or as warnings, while a course is being rewritten",
    )
    check.set_defaults(func=cmd_lessons)

    new = lessons_sub.add_parser(
        "new", help="write a new lesson (English, German, its scenario) to start from"
    )
    new.add_argument("id", metavar="ID", help="the lesson's id: lower-case letters, digits and - (heist-1)")
    new.add_argument("--title", help="its title (default: from the id)")
    new.add_argument("--dir", default=".", help="the folder to write it to (default: the current one)")
    new.set_defaults(func=cmd_lessons_new)

    preview = lessons_sub.add_parser(
        "preview", help="a folder's lessons in the terminal lab and the page, reloaded as they change"
    )
    preview.add_argument(
        "dir", metavar="DIR", help="the folder of lessons (and their scenarios and programs)"
    )
    preview.add_argument("--lang", default="en", help="the lessons' language in the terminal lab")
    preview.add_argument(
        "--backend", default="interp", choices=backends(), help="the terminal lab's CPU backend"
    )
    preview.add_argument(
        "--out", default=None, help="where the page's site is built (default: ~/.cache/hvlab/preview)"
    )
    preview.add_argument("--port", type=int, default=8001, help="the page's TCP port (default 8001)")
    preview.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    preview.add_argument("--no-tui", action="store_true", help="only the page (serve until Ctrl-C)")
    preview.add_argument("--no-web", action="store_true", help="only the terminal lab")
    preview.set_defaults(func=cmd_lessons_preview)
    record_p = sub.add_parser("record", help="students: your record of what you did, to hand in")
    record_sub = record_p.add_subparsers(dest="record_command", metavar="export", required=True)
    export = record_sub.add_parser("export", help="write your record (every lesson's runs) as one file")
    export.add_argument("--out", help="the file to write (default: hvlab-record-NAME.json here)")
    export.add_argument("--progress", type=Path, default=None, help="the progress file (the TUI's)")
    export.set_defaults(func=cmd_record)

    verify_p = sub.add_parser(
        "verify", help="instructors: replay students' records, say which steps they did"
    )
    verify_p.add_argument("files", nargs="+", metavar="FILE", help="records students exported")
    add_course_options(verify_p)
    verify_p.add_argument("--json", action="store_true", help="the verdicts as JSON")
    verify_p.set_defaults(func=cmd_verify)

    class_p = sub.add_parser("class", help="instructors: seeds for a class, and a report of its records")
    class_sub = class_p.add_subparsers(dest="class_command", metavar="seeds|report", required=True)
    seeds_p = class_sub.add_parser("seeds", help="each student's seed, derived from the course key")
    seeds_p.add_argument("names", nargs="*", metavar="NAME", help="students' names or ids")
    report_p = class_sub.add_parser("report", help="replay a folder of records into a table (CSV, HTML)")
    report_p.add_argument("folder", metavar="DIR", help="a folder of records (*.json)")
    report_p.add_argument("--csv", default="class-report.csv", help="the CSV file (default class-report.csv)")
    report_p.add_argument(
        "--html", default="class-report.html", help="the HTML page (default class-report.html)"
    )
    for p in (seeds_p, report_p):
        add_course_options(p, replay=p is report_p)
    class_p.set_defaults(func=cmd_class)

    rules_p = lessons_sub.add_parser(
        "rules", help="check detection rule files; with --score, score them against the recorded runs"
    )
    rules_p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="rule files (TOML)")
    rules_p.add_argument(
        "--score",
        action="store_true",
        help="score the files' rules together against the course's recorded attacks and honest runs "
        "(exit 1 on a miss or a false positive)",
    )
    rules_p.add_argument("--lesson", help="with --score: only this lesson's attacks (and every honest run)")
    rules_p.add_argument(
        "--lessons", type=Path, help="with --score: the folder of lessons to record (default: lessons/)"
    )
    rules_p.set_defaults(func=cmd_lessons_rules)

    bench_p = sub.add_parser("bench", help="print the performance figures")
    bench_p.add_argument("--json", action="store_true")
    bench_p.add_argument("--quick", action="store_true", help="fewer, shorter runs (a smoke test)")
    bench_p.add_argument(
        "--web", action="store_true", help="the browser lab's figures instead (chromium, playwright)"
    )
    bench_p.add_argument(
        "--pyodide", action="store_true", help="the interp core's compute figures under Pyodide in Node.js"
    )
    bench_p.add_argument(
        "--tui", action="store_true", help="the terminal lab's key-to-screen latency during a storm (tmux)"
    )
    bench_p.add_argument(
        "--site", help="--web, --pyodide: measure this built site (default: build build/web)"
    )
    bench_p.add_argument(
        "--runs",
        type=int,
        default=3,
        help="--web: loads of each kind; --pyodide: runs; --tui: labs per case (default 3)",
    )
    bench_p.add_argument(
        "--checkout",
        action="append",
        default=[],
        metavar="DIR",
        help="--tui: a source tree to measure (repeat to compare; default: this one)",
    )
    bench_p.add_argument(
        "--size", type=_size, default=(100, 30), metavar="COLSxROWS", help="--tui: terminal size (100x30)"
    )
    bench_p.set_defaults(func=cmd_bench)

    web = sub.add_parser("web", help="the browser lab: build the static site, or build and serve it")
    web_sub = web.add_subparsers(dest="web_command", metavar="build|serve", required=True)
    web_build = web_sub.add_parser("build", help="build the static site (Pyodide, wheels, lessons, bundle)")
    web_serve = web_sub.add_parser("serve", help="build the site and serve it over HTTP")
    for p in (web_build, web_serve):
        p.add_argument("--out", default="build/web", help="the site's directory (default build/web)")
    web_build.add_argument(
        "--lessons", type=Path, default=None, metavar="DIR", help="pack these lessons instead of the course's"
    )
    web_serve.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    web_serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    web_serve.add_argument("--no-build", action="store_true", help="serve what --out holds as it is")
    web.set_defaults(func=cmd_web)
    return parser


def add_course_options(parser: argparse.ArgumentParser, *, replay: bool = True) -> None:
    """The course key and roster (and, for a replay, where the lessons are and how many processes)."""
    parser.add_argument("--key", help="the course key (keep it secret: it makes every student's seed)")
    parser.add_argument("--key-file", metavar="FILE", help="read the course key from FILE's first line")
    parser.add_argument("--roster", metavar="FILE", help="the students' names or ids, one a line")
    if replay:
        parser.add_argument(
            "--lessons",
            type=Path,
            default=None,
            help="the lessons the records were made with (default: the course)",
        )
        parser.add_argument("--jobs", type=int, default=1, help="replay in N processes (default 1)")


def add_tui_options(parser: argparse.ArgumentParser) -> None:
    from uitext import LANGUAGES

    parser.add_argument("lesson", nargs="?", help="a lesson id to open straight away (e.g. control-api)")
    parser.add_argument("--lang", default="en", choices=tuple(LANGUAGES), help="the lessons' language")
    parser.add_argument(
        "--lessons", type=Path, default=None, help="a folder of lessons (an instructor's own)"
    )
    parser.add_argument("--backend", default="interp", choices=backends(), help="the CPU backend")
    parser.add_argument("--progress", type=Path, default=None, help="the progress file")
    parser.add_argument(
        "--seed",
        type=parse_seed,
        default=None,
        help="your course seed, from your instructor (kept with your progress)",
    )
    parser.add_argument(
        "--student", default=None, help="your name or id, as your instructor made your seed for it"
    )


def parse_seed(text: str) -> int:
    """A course seed: a number from 0 to 2^32 - 1."""
    try:
        seed = int(text.strip().replace("_", ""))
    except ValueError:
        seed = -1
    if not 0 <= seed < 2**32:
        raise argparse.ArgumentTypeError(f"a seed is a number from 0 to {2**32 - 1}, not {text[:40]!r}")
    return seed


def backends() -> list[str]:
    from lab.cpu import backends as available

    return available()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["tui", *argv]  # `hvlab` alone, or with the lab's options, is the terminal lab
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
