"""Scenario files (lab.scenario): the format's limits, enforced where the file is read.

Every bad file is one ScenarioError line naming the file, the place and the rule;
the cases of issue 14 (item 5) are here one by one, those that raised a traceback,
ran out of memory or were silently accepted.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lab.hv.vm import GRANT_WINDOW, RAM_BASE
from lab.scenario import (
    FORMAT,
    MAX_HOST_BYTES,
    MAX_VM_RAM,
    RULES,
    Kind,
    ScenarioError,
    load_scenario,
    read_scenario,
    reference_rows,
)

VM = '[[vm]]\nname = "a"\nprogram = "monitor.S"\n'
NET = '[[segment]]\nname = "s"\nsubnet = "10.0.0.0/24"\n'


def scenario_file(tmp_path: Path, text: str | bytes, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text)
    else:
        path.write_bytes(text)
    return path


def refused(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message and len(message) < 600, message
    return message


# (file text, what the one line says): each a fault issue 14 found.
FAULTS = [
    ('quantum = "abc"\n' + VM, "quantum: must be an integer from 1 to 1000000, not a string ('abc')"),
    ("quantum = true\n" + VM, "quantum: must be an integer from 1 to 1000000, not a boolean (true)"),
    ("quantum = 0\n" + VM, "quantum: must be an integer from 1 to 1000000, not an integer (0)"),
    ('policy = "hardened"\n' + VM, "[policy]: must be a table, not a string ('hardened')"),
    ("policy = 3\n" + VM, "[policy]: must be a table, not an integer (3)"),
    ('policy = ["hardened"]\n' + VM, "[policy]: must be a table, not an array"),
    (
        "[policy]\npreset = 1\n" + VM,
        "[policy] preset: must be one of vulnerable, hardened, not an integer (1)",
    ),
    ('[policy]\n"hypercall.authorize" = [1]\n' + VM, "[policy] hypercall.authorize: must be true or false"),
    ("[policy]\nnope = true\n" + VM, "[policy]: unknown switch 'nope'"),
    (VM + 'net = ["s"]\n' + NET, "[[vm]] #1 (a) net: must be a string, not an array"),
    (
        VM + 'net = "s"\n' + NET + '[mgmt]\nsegment = ["s"]\n',
        "[mgmt] segment: must be a string, not an array",
    ),
    (VM + 'secret = "S{1}"\nsecret_at = -1\n', "[[vm]] #1 (a) secret_at: must be an address inside"),
    (VM + 'secret = "S{1}"\nsecret_at = 0x100000000\n', "secret_at: must be an address inside the VM's RAM"),
    (VM + 'secret = "S{1}"\nsecret_at = 0x1000\n', "secret_at: must be an address inside the VM's RAM"),
    (VM + 'secret = "S{1}"\nsecret_at = 0x8003FFF0\n', "needs 19 bytes (with room for a student's variant)"),
    (VM + 'secret = "S{1}"\nsecret_at = "nowhere"\n', "secret_at: 'nowhere' is not a label of the program"),
    (VM + "secret_at = 0x80001000\n", "secret_at: needs a secret to place"),
    (
        VM + 'memory = "64K"\nsecret = "' + "x" * 70000 + '"\n',
        "secret: the secret at 0x8000f000 needs 70000 bytes",
    ),
    (VM + 'memory = "1000G"\n', "memory: must be a size that is a multiple of 4 KiB from 4 KiB to 256 MiB"),
    (VM + 'memory = "10G"\n', "not a string ('10G', 10 GiB)"),
    (VM + 'memory = "0x80000000"\n', "not a string ('0x80000000', 2 GiB)"),  # would run past 2^32
    (VM + 'memory = "257M"\n', "to 256 MiB, not a string ('257M', 257 MiB)"),  # over the grant window
    (VM + 'memory = "5000"\n', "multiple of 4 KiB"),
    (VM + "memory = 0\n", "from 4 KiB"),
    (VM + "memory = true\n", "not a boolean (true)"),
    (
        VM + 'memory = "200M"\n' + VM.replace('"a"', '"b"') + 'memory = "100M"\n',
        "at most 256 MiB, not 300 MiB",
    ),
    (VM + 'memory = "4K"\n', "program: "),  # monitor.S does not fit in 4 KiB
    (
        VM + 'net = "s"\nip = "10.0.0.5"\n' + VM.replace('"a"', '"b"') + 'net = "s"\nip = "10.0.0.5"\n' + NET,
        "[[vm]] #2 (b) ip: 10.0.0.5 is already VM #1's (a) address",
    ),
    (
        VM + 'net = "s"\nip = "10.0.0.1"\n' + NET + "[mgmt]\n",
        "[mgmt] ip: 10.0.0.1 (the default) is already VM #1's",
    ),
    (VM + 'net = "s"\n' + NET + '[mgmt]\nip = "10.0.0.10"\n', "[mgmt] ip: 10.0.0.10 is already VM #1's (a)"),
    (VM + 'net = "s"\nip = "10.0.1.5"\n' + NET, "ip: must be a host address of the subnet 10.0.0.0/24"),
    (VM + 'net = "s"\nip = "10.0.0.255"\n' + NET, "not 10.0.0.255"),  # the broadcast address
    (VM + 'ip = "10.0.0.5"\n', "ip: needs net"),
    (VM + 'net = "t"\n' + NET, "net: names no segment: 't' (segments: s)"),
    (
        VM + '[[segment]]\nname = "s"\nsubnet = "10.0.0.0/31"\n',
        "with a prefix length from /8 to /30, not /31",
    ),
    (VM + '[[segment]]\nname = "s"\nsubnet = "10.0.0.1/24"\n', "has host bits set"),
    (VM + "[mgmt]\n", "[mgmt]: needs a [[segment]]"),
    (
        VM + 'net = "s"\n' + NET + '[mgmt]\npassword = "two words"\n',
        "[mgmt] password: must be a string of 1 to 64",
    ),
    (VM + "control = true\n" + VM.replace('"a"', '"b"') + "control = true\n", "[[vm]] #2 (b) control: VM #1"),
    (VM + VM, "[[vm]] #2 (a) name: is already VM #1's"),
    (VM + 'name2 = "x"\n', "[[vm]] #1: unknown key 'name2' (expected name, program"),
    ('vm = "a"\n', "vm: must be an array of tables ([[vm]]), not a string ('a')"),
    ('name = "x"\n', "a scenario needs at least 1 [[vm]] table(s), this one has 0"),
    (
        'hv_secret = "' + "h" * 64 + '"\n' + VM,
        "hv_secret: must be a string of at most 63 bytes (UTF-8), not 64 bytes",
    ),
    ("x = " + "[" * 40 + "]" * 40 + "\n" + VM, "nests tables or arrays deeper than 32 levels"),
    ("x = " + "[" * 2000 + "]" * 2000 + "\n" + VM, "nests tables or arrays deeper than 32 levels"),
    ("[" + ".".join(["t"] * 3000) + "]\n" + VM, "nests tables or arrays deeper than 32 levels"),
    ("quantum = " + "9" * 5000 + "\n" + VM, "line 1: holds a number thousands of digits long"),
    ("quantum = = 1\n" + VM, "line 1: is not valid TOML"),
    # found by the file fuzzer (tests/test_file_fuzz.py)
    ('[[vm]]\nname = "a"\nprogram = "' + "x" * 5000 + '"\n', "program: 'xxxxxxxx"),  # ENAMETOOLONG
    (
        VM + "weight = " + "9" * 400 + "\n",
        "weight: must be an integer from 1 to 64, not an integer of 400 digits",
    ),
    (
        '[[vm]]\nname = "\xff"\n'.encode("latin-1"),
        "line 2: is not UTF-8 text (byte 0xff starts no character)",
    ),
]


@pytest.mark.parametrize(("text", "rule"), FAULTS, ids=[f"{i}" for i in range(len(FAULTS))])
def test_a_bad_scenario_is_one_line_naming_file_place_and_rule(tmp_path, text, rule) -> None:
    message = refused(scenario_file(tmp_path, text))
    assert rule in message


def test_a_folder_or_a_missing_file_is_one_line(tmp_path) -> None:
    (tmp_path / "dir.toml").mkdir()
    assert "is a folder, not a file" in refused(tmp_path / "dir.toml")
    assert "no such file" in refused(tmp_path / "gone.toml")


def test_ram_up_to_the_grant_window_is_accepted(tmp_path) -> None:
    spec = read_scenario(scenario_file(tmp_path, VM + 'memory = "256M"\n'))
    assert RAM_BASE + spec.vms[0].memory == GRANT_WINDOW == RAM_BASE + MAX_VM_RAM


def test_a_scenario_too_big_for_the_host_is_refused_at_once(tmp_path) -> None:
    # "10G" was killed by the OS after a minute; 120 VMs of 256 MiB are each legal but not together.
    text = "".join(VM.replace('"a"', f'"v{i}"') + 'memory = "256M"\n' for i in range(120))
    start = time.process_time()
    message = refused(scenario_file(tmp_path, text))
    assert time.process_time() - start < 2
    assert f"together must be at most {MAX_HOST_BYTES >> 20} MiB, not 30 GiB" in message


def test_a_secret_stays_inside_its_vm_and_never_reaches_the_hypervisor(tmp_path) -> None:
    # secret_at below RAM used to be written at a negative offset from the VM's RAM: into the
    # hypervisor region. The secret must lie in RAM, with room for a student's variant.
    path = scenario_file(tmp_path, VM + 'memory = "64K"\nsecret = "S{1}"\nsecret_at = 0x8000FFEC\n')
    hv = load_scenario(path).hv
    assert hv.vm("a").read_guest(0x8000_FFEC, 4) == b"S{1}"
    from lab.lesson.variants import vary

    vary(hv, 7)  # the variant is longer (S{16 hex digits}) and still fits
    assert hv.vm("a").read_guest(0x8000_FFEC, 19).startswith(b"S{")


def test_every_guest_scenario_still_loads() -> None:
    guests = Path(__file__).resolve().parents[1] / "lab" / "guests"
    for path in sorted(guests.glob("*.toml")):
        read_scenario(path)


def test_the_format_table_documents_every_key() -> None:
    rows = reference_rows()
    assert len(rows) == sum(len(t.keys) for t in FORMAT)
    for table, key, kind, _default, _limits, meaning in rows:
        assert meaning, (table, key)
        assert kind in {k.value for k in Kind}
    # the limits in words are the ones enforced
    memory = next(r for r in rows if r[:2] == ("[[vm]]", "memory"))
    assert memory[4] == "a multiple of 4 KiB from 4 KiB to 256 MiB"
    assert any("unique" in rule for rule in RULES)
