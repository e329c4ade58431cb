"""The bank (lab/guests/bank.S): its accounts, its rules, and its secret, on both backends."""

from __future__ import annotations

import pytest

from lab.cpu import backends
from tests.guests import API, Console, boot

SECRET = "BANK{pin-4711-do-not-share}"


@pytest.fixture(params=backends())
def bank(request) -> Console:
    return Console(boot(API, request.param), "bank")


def test_banner_and_prompt(bank: Console) -> None:
    text = bank.vm.console_text()
    assert text.startswith("Bank of hvlab on dom2")
    assert text.endswith("bank> ")


def test_the_scenario_secret_is_in_ram_at_the_secret_label(bank: Console) -> None:
    assert bank.vm.read_guest(bank.vm.secret_gpa, len(SECRET)) == SECRET.encode()


def test_accounts_and_balance(bank: Console) -> None:
    out = bank.type("accounts")
    assert "alice: 1200\nbob: 350\ncarol: 80\ndave: 0\n" in out
    assert "\nbob: 350\n" in bank.type("balance bob")


def test_deposit_and_withdraw_change_the_balance(bank: Console) -> None:
    assert "\nalice: 1300\n" in bank.type("deposit alice 100")
    assert "\nalice: 1316\n" in bank.type("deposit alice 0x10")
    assert "\nalice: 16\n" in bank.type("withdraw alice 1300")
    assert "\nalice: 16\n" in bank.type("balance alice")


def test_overdraft_is_refused_and_balance_kept(bank: Console) -> None:
    out = bank.type("withdraw carol 81")
    assert "error: insufficient funds: carol has 80" in out
    assert "\ncarol: 80\n" in bank.type("balance carol")
    assert "\ncarol: 0\n" in bank.type("withdraw carol 80")


def test_deposit_that_would_overflow_is_refused(bank: Console) -> None:
    assert "error: the balance would overflow" in bank.type("deposit bob 4294967295")
    assert "\nbob: 350\n" in bank.type("balance bob")


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("balance mallory", "error: no account 'mallory' (try accounts)"),
        ("deposit bob lots", "error: bad number 'lots'"),
        ("withdraw bob", "error: usage: withdraw NAME N"),
        ("rob", "error: unknown command 'rob' (try help)"),
    ],
)
def test_bad_requests_get_an_error_and_the_prompt(bank: Console, line: str, error: str) -> None:
    out = bank.type(line)
    assert out.splitlines()[1].startswith(error)
    assert out.endswith("\nbank> ")


def test_no_command_prints_the_secret(bank: Console) -> None:
    lines = ["help", "accounts", "balance alice", "deposit dave 5", "withdraw dave 9", "x", "secret"]
    out = "".join(bank.type(line) for line in lines)
    assert "withdraw NAME N" in out  # help answered
    assert "BANK{" not in bank.vm.console_text()
