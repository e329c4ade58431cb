"""Selections and conditions mean what the format's docstring says: Sigma's field matches and
modifiers (case-insensitive text, wildcards, lists as any-of, `all`, `cidr`, numbers, `exists`)
and conditions (`and`/`or`/`not`, `1 of`, `all of them`), and Falco's field comparisons."""

from __future__ import annotations

from typing import Any

import pytest

from lab.detect.fields import Source
from lab.detect.match import MatchError, condition_matcher, selection_matcher

H, F = Source.HYPERCALL, Source.FRAME
FRAME = {"ip.src": "10.0.0.11", "udp.dstport": 6230, "udp.payload": "LOGIN admin letmein", "port": "ci"}
CALL = {
    "vm": "tenant",
    "fn": "peek",
    "ext": "VMCTL",
    "control": False,
    "why": "UNCHECKED: reaches dom2",
    "a0": 2,
}


@pytest.mark.parametrize(
    ("source", "selection", "obs", "expected"),
    [
        (F, {"udp.payload|startswith": "login"}, FRAME, True),  # text ignores case
        (F, {"udp.payload|startswith|cased": "login"}, FRAME, False),  # unless cased
        (F, {"udp.payload": "LOGIN*letmein"}, FRAME, True),  # a wildcard
        (F, {"udp.payload": "LOGIN"}, FRAME, False),  # without one, the whole text
        (F, {"udp.payload": "LOGIN admin ?etmein"}, FRAME, True),
        (F, {"udp.payload|contains": "ADMIN"}, FRAME, True),
        (F, {"udp.payload|endswith": "letmein"}, FRAME, True),
        (F, {"udp.payload|re": r"admin \w+$"}, FRAME, True),
        (F, {"udp.payload|contains|all": ["admin", "nobody"]}, FRAME, False),
        (F, {"udp.payload|contains": ["admin", "nobody"]}, FRAME, True),  # a list: any one
        (F, {"ip.src|cidr": "10.0.0.0/28"}, FRAME, True),
        (F, {"ip.src|cidr": "10.0.0.0/29"}, FRAME, False),
        (F, {"udp.dstport": 6230, "port": "web"}, FRAME, False),  # every field of a table
        (F, [{"port": "web"}, {"port": "ci"}], FRAME, True),  # a list of tables: any one
        (F, {"udp.dstport|gte": 6230}, FRAME, True),
        (F, {"udp.dstport|gt": 6230}, FRAME, False),
        (F, {"udp.dstport": "0x1856"}, FRAME, True),  # numbers as written in hex
        (F, {"frame.forged|exists": True}, FRAME, False),
        (F, {"frame.forged|exists": False}, FRAME, True),
        (F, {"arp.opcode": 2}, FRAME, False),  # a field the frame lacks never matches
        (H, {"control": False, "fn": ["peek", "poke"]}, CALL, True),
        (H, {"why|contains": "unchecked"}, CALL, True),
        (H, {"a0": 2}, CALL, True),
    ],
)
def test_selections(source: Source, selection: Any, obs: dict[str, Any], expected: bool) -> None:
    assert selection_matcher(source, selection)(obs) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("peek and not admin", True),
        ("peek and admin", False),
        ("not (peek or admin)", False),
        ("1 of leak_*", True),
        ("all of leak_*", False),
        ("1 of them and not admin", True),
        ("fn in (peek, poke) and vm != admin", True),
        ("fn = Peek", False),  # a Falco comparison: case counts
        ("why startswith UNCHECKED and a0 >= 2", True),
        ("why icontains 'reaches DOM2'", True),
        ("target exists", False),
    ],
)
def test_conditions(condition: str, expected: bool) -> None:
    selections = {
        name: selection_matcher(H, body)
        for name, body in {
            "peek": {"fn": "peek"},
            "admin": {"control": True},
            "leak_console": {"ext": "DBCN"},
            "leak_memory": {"why|contains": "reaches"},
        }.items()
    }
    matcher, _used = condition_matcher(condition, H, selections)
    assert matcher(CALL) is expected


@pytest.mark.parametrize(
    ("source", "selection", "words"),
    [
        (F, {"ip.src|gt": 3}, "does not apply to an address field"),
        (F, {"udp.dstport|contains": "62"}, "does not apply to a number field"),
        (F, {"port|cidr": "10.0.0.0/8"}, "cidr applies to an address field"),
        (F, {"ip.src|cidr": "10.0.0.0/33"}, "is not a subnet"),
        (F, {"udp.payload|re": "("}, "is not a regular expression"),
        (F, {"udp.dstport": "sixty"}, "is not a number"),
        (F, {"port": []}, "an empty list matches nothing"),
        (F, {}, "an empty selection matches everything"),
        (F, {"ip.srcc": "1.2.3.4"}, "did you mean 'ip.src'?"),
        (H, {"arg.domd": 2}, "did you mean 'arg.domid'?"),
        (H, {"control|exists|cased": True}, "exists takes no other modifier"),
        (H, {"a0": True}, "True is not a number"),
    ],
)
def test_selections_that_cannot_work_are_refused_with_words(
    source: Source, selection: Any, words: str
) -> None:
    with pytest.raises(MatchError, match=words.replace("?", r"\?").replace("(", r"\(")):
        selection_matcher(source, selection)


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ("", "it is empty"),
        ("peek and", "found the end"),
        ("peek peek", "unexpected 'peek'"),
        ("fn", "'fn' is a field: compare it"),
        ("1 of nothing_*", "no selection's name matches it"),
        ("a0 > many", "is not a number"),
        ("vm > 3", "compares numbers"),
        ("fn in peek", "write the values in brackets"),
    ],
)
def test_conditions_that_cannot_work_are_refused_with_words(condition: str, words: str) -> None:
    with pytest.raises(MatchError, match=words):
        condition_matcher(condition, H, {"peek": selection_matcher(H, {"fn": "peek"})})
