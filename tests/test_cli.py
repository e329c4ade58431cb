"""`hvlab run`: its input (--input escapes, numbers, sizes) and its console lines.

Bad input is one line on stderr and a non-zero exit, never a traceback; a
guest that prints without a newline costs linear time and bounded memory
(issue 14, items 4 and 5).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hvlab.cli import console_input, main
from lab.hv.vm import LINE_LIMIT, ConsoleLines
from lab.scenario import SCENARIOS_DIR

DATA = Path(__file__).parent / "lesson" / "data"


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("vms\\n", b"vms\n"),
        ("a\\tb\\r\\n", b"a\tb\r\n"),
        ("\\x04\\x7f\\xFF", b"\x04\x7f\xff"),
        ("\\u20ac", "€".encode()),
        ("€ and \\\\n", "€ and \\n".encode()),
        ("\\e[0m\\0", b"\x1b[0m\x00"),
        ("caf\udce9", b"caf\xe9"),  # a byte that was not UTF-8 on the command line comes back as it was
    ],
)
def test_input_escapes(text, data) -> None:
    assert console_input(text) == data


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "vms\\",
            "column 4: a \\ at the end is not an escape (escapes: \\n \\r \\t \\0 \\e \\\\ \\xHH \\uHHHH)",
        ),
        ("\\x4", "column 1: \\x takes exactly 2 hex digits, as in \\x04"),
        ("ok \\x4g", "column 4: \\x takes exactly 2 hex digits"),
        ("\\u20a", "column 1: \\u takes exactly 4 hex digits, as in \\u20ac"),
        ("\\ud800", "column 1: \\ud800 is a surrogate, not a character"),
        ("\\q", "column 1: \\q is not an escape"),
        ("ab\ud800", "column 3: a lone surrogate is not a character"),
    ],
)
def test_bad_input_escapes_name_the_column(text, message) -> None:
    with pytest.raises(ValueError) as info:
        console_input(text)
    assert str(info.value).startswith(message)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["run", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


@pytest.mark.parametrize("text", ["vms\\", "\\x4", "\\u20a"])
def test_hvlab_run_refuses_a_bad_input_escape_in_one_line(capsys, text) -> None:
    status, out, err = run(capsys, str(SCENARIOS_DIR / "api.toml"), "--input", f"tenant={text}")
    assert status == 1 and out == ""
    assert err.startswith("hvlab: --input tenant=...: column ") and err.count("\n") == 1


def test_hvlab_run_types_the_escapes(capsys) -> None:
    status, out, _ = run(capsys, str(SCENARIOS_DIR / "api.toml"), "--input", "tenant=hcall 0x10 0\\x0a")
    assert status == 0
    assert "tenant | a0=0x00000000 a1=0x02000000" in out


def test_hvlab_run_refuses_a_bad_scenario_in_one_line(capsys, tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('quantum = "abc"\n[[vm]]\nname = "a"\n')
    status, _, err = run(capsys, str(path))
    assert status == 1
    assert err == f"hvlab: {path}: quantum: must be an integer from 1 to 1000000, not a string ('abc')\n"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--steps", "-1", "must be an integer, 0 or more, not '-1'"),
        ("--steps", "lots", "must be an integer, 0 or more, not 'lots'"),
        ("--max-instructions", "9" * 5000, "must be an integer, 0 or more"),
        ("--memory", "10G", "must be a size that is a multiple of 4 KiB from 4 KiB to 256 MiB"),
    ],
)
def test_bad_numbers_and_sizes_are_refused_by_the_parser(capsys, option, value, message) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", str(DATA / "spin.S"), option, value])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


# ------------------------------------------------------------------ console lines (item 4)


def test_console_lines_split_on_newlines_across_writes() -> None:
    lines = ConsoleLines()
    assert lines.feed(b"dom0> v") == []
    assert lines.feed(b"ms\ndom0 running\n") == ["dom0> vms", "dom0 running"]
    assert lines.feed(b"\n") == [""]
    assert lines.feed(b"tail") == [] and lines.flush() == "tail" and lines.flush() == ""


def test_console_lines_keep_a_character_split_across_writes() -> None:
    lines = ConsoleLines()
    euro = "€".encode()
    assert lines.feed(euro[:1]) == [] and lines.feed(euro[1:] + b"\xff\n") == ["€\ufffd"]


def test_a_line_longer_than_the_limit_comes_out_in_pieces() -> None:
    lines = ConsoleLines(limit=4)
    assert lines.feed(b"abcd") == []  # exactly the limit: held until we know whether more follows
    assert lines.feed(b"\n") == ["abcd"]
    assert lines.feed(b"abcdefghij") == ["abcd", "efgh"]
    assert lines.feed(b"k\nxyz") == ["ijk"]
    assert lines.flush() == "xyz"


def test_what_is_held_back_stays_bounded_however_long_the_line() -> None:
    lines = ConsoleLines()
    out = []
    for _ in range(50_000):
        out += lines.feed(b"xy")
        assert lines._held <= LINE_LIMIT
    out.append(lines.flush())
    assert "".join(out) == "xy" * 50_000
    assert all(len(line) == LINE_LIMIT for line in out[:-1])


def test_hvlab_run_breaks_a_guest_line_that_never_ends(capsys, tmp_path) -> None:
    # A guest that prints without a newline: `hvlab run` rescanned its whole partial line on
    # every byte (quadratic; 1M steps did not end in 10 minutes) and printed it as one line.
    (tmp_path / "chatty.S").write_text(
        '        .include "lib/machine.S"\n'
        "        .globl _start\n"
        "_start: li   t0, UART_BASE\n"
        "        li   t1, 'x'\n"
        "1:      sb   t1, 0(t0)\n"
        "        j    1b\n"
    )
    (tmp_path / "chatty.toml").write_text('[[vm]]\nname = "chatty"\nprogram = "chatty.S"\nmemory = "64K"\n')
    status, out, _ = run(capsys, str(tmp_path / "chatty.toml"), "--steps", "200000")
    assert status == 0
    lines = out.splitlines()
    assert all(line.startswith("chatty | ") for line in lines)
    assert max(len(line) for line in lines) == len("chatty | ") + LINE_LIMIT
    assert sum(line.count("x") for line in lines) == (200_000 - 2) // 2  # two setup instructions, then sb; j
