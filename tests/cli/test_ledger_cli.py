"""``fundvote ledger balances``, ``export-beancount`` and ``import``: the JSON shape, the
Beancount file checked by Beancount's own loader against our balances, the legacy import's
all-or-nothing refusals and its idempotency."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data as bc
from click.testing import Result

from fundvote.books import create_community_with_books, import_roll_with_books
from fundvote.runtime import Runtime
from ledger.api import PostingLine, balances, get_entry, post_entry, reverse_entry
from ledger.export import account_name, decode_component, encode_component

Cli = Callable[..., Result]
CODE = "LT01"
ROLL = (
    "unit,building,area,owners,developer\n"
    "1-101,1,100.00,A1,\n"
    "1-102,1,80.50,B1,\n"
    "A.1,2,120.25,C1,\n"
    'X栋"2,2,60.00,D1,\n'
)


@pytest.fixture
def books(runtime: Runtime) -> Runtime:
    runtime.run(create_community_with_books, code=CODE, name="工具小区")
    runtime.run(
        import_roll_with_books,
        community_code=CODE,
        data=ROLL.encode(),
        filename="roll.csv",
        cipher=runtime.cipher,
    )
    return runtime


def post(rt: Runtime, day: date, *lines: tuple[str, int], **kw: object) -> int:
    info = rt.run_as(
        1,
        post_entry,
        community_code=CODE,
        kind=kw.pop("kind", "deposit"),
        value_date=day,
        lines=[PostingLine(a, n) for a, n in lines],
        **kw,
    )
    return info.number


def history(rt: Runtime) -> None:
    """Deposits, public income with a cost, an entry with documents and quotes, a reversal."""
    post(rt, date(2025, 1, 3), ("1001", 30_000_00), ("2101.1-101", -10_000_00),
         ("2101.1-102", -8_050_00), ("2101.A.1", -11_950_00))  # fmt: skip
    post(rt, date(2025, 1, 4), ("1001", 6_000_01), ('2101.X栋"2', -6_000_01))
    post(rt, date(2025, 3, 31), ("1002", 1_200_00), ("4101", -1_200_00), kind="public_income",
         memo='停车 "Q1" \\ 收益', documents={"invoices": ["INV-1", "INV-2"]})  # fmt: skip
    post(rt, date(2025, 4, 2), ("5101", 100_50), ("1002", -100_50), kind="public_income_cost")
    number = post(rt, date(2025, 5, 1), ("1001", 1), ("2101.1-101", -1))
    rt.run_as(1, reverse_entry, community_code=CODE, number=number,
              value_date=date(2025, 5, 2), memo="冲销")  # fmt: skip


def cli_balances(cli: Cli, *extra: str) -> dict[str, int]:
    result = cli("ledger", "balances", CODE, "--json", *extra)
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.output)
    assert set(parsed) == {"accounts"}
    for account in parsed["accounts"]:
        assert set(account) == {"code", "name", "type", "balance_fen"}
        assert isinstance(account["balance_fen"], int)
    return {a["code"]: a["balance_fen"] for a in parsed["accounts"]}


def beancount_balances(path: Path) -> tuple[dict[str, int], list[bc.Directive]]:
    """What Beancount computes, by our account code (from each open's metadata), in fen."""
    entries, errors, options = loader.load_file(str(path))
    assert errors == [], [e.message for e in errors]
    assert options["operating_currency"] == ["CNY"]
    codes = {e.account: e.meta["code"] for e in entries if isinstance(e, bc.Open)}
    sums: dict[str, Decimal] = dict.fromkeys(codes.values(), Decimal(0))
    for entry in entries:
        if isinstance(entry, bc.Transaction):
            for posting in entry.postings:
                assert posting.units.currency == "CNY"
                sums[codes[posting.account]] += posting.units.number
    return {code: int(total * 100) for code, total in sums.items()}, entries


def test_balances_json_is_exactly_the_documented_shape(cli: Cli, books: Runtime) -> None:
    history(books)
    got = cli_balances(cli)
    assert got["1001"] == 36_000_01
    assert got["2101.1-101"] == -10_000_00
    assert got["4101"] == -1_200_00
    assert sum(got.values()) == 0
    parsed = json.loads(cli("ledger", "balances", CODE, "--json").output)
    first = parsed["accounts"][0]
    assert first == {"code": "1001", "name": "维修资金专户存款", "type": "asset",
                     "balance_fen": 36_000_01}  # fmt: skip
    early = cli_balances(cli, "--to", "2025-01-03")
    assert early["1001"] == 30_000_00 and early["1002"] == 0


def test_balances_table_uses_the_one_formatter(cli: Cli, books: Runtime) -> None:
    history(books)
    result = cli("ledger", "balances", CODE)
    assert result.exit_code == 0
    assert "36,000.01" in result.output and "-10,000.00" in result.output
    assert "维修资金分户账 1-101" in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("ledger", "balances", "NOPE", "--json"), "There is no community NOPE."),
        (("ledger", "balances", CODE, "--to", "2025-13-01"), "--to"),
        (("ledger", "export-beancount", CODE), "--out"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    cli: Cli, books: Runtime, args: tuple[str, ...], needle: str
) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert needle in result.output
    assert result.output.count("\n") == 1


def test_export_passes_beancounts_loader_and_agrees_with_balances(
    cli: Cli, books: Runtime, tmp_path: Path
) -> None:
    history(books)
    out = tmp_path / "books.beancount"
    result = cli("ledger", "export-beancount", CODE, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "6 entries" in result.output and "2025-05-03" in result.output
    text = out.read_text(encoding="utf-8")
    assert 'option "tolerance_multiplier" "0"' in text
    assert 'option "operating_currency" "CNY"' in text
    assert text.isascii() is False  # Chinese names and memos as metadata and narration
    computed, entries = beancount_balances(out)
    assert computed == cli_balances(cli)
    opens = [e for e in entries if isinstance(e, bc.Open)]
    assert len(opens) == len(computed) == len(books.query(balances, CODE))
    assert all(n.isascii() for e in opens for n in [e.account])
    names = {e.meta["code"]: e.account for e in opens}
    assert names["1001"] == "Assets:Fund:Bank"
    assert names["2101.1-101"] == "Liabilities:Fund:Units:U1-101"
    assert names["2101.A.1"] == "Liabilities:Fund:Units:UAX2EX1"
    assert names["4101"] == "Income:PublicIncome:Parking"
    assert [e.date for e in entries if isinstance(e, bc.Balance)] == [date(2025, 5, 3)] * len(opens)
    txns = [e for e in entries if isinstance(e, bc.Transaction)]
    income = next(t for t in txns if t.meta["kind"] == "public_income")
    assert income.narration == '停车 "Q1" \\ 收益'
    assert json.loads(income.meta["documents"]) == {"invoices": ["INV-1", "INV-2"]}
    assert isinstance(income.meta["log_index"], Decimal | int)
    reversal = next(t for t in txns if t.meta["kind"] == "reversal")
    assert int(reversal.meta["reverses"]) == int(reversal.meta["entry"]) - 1


def test_export_to_a_date_asserts_that_days_balances(
    cli: Cli, books: Runtime, tmp_path: Path
) -> None:
    history(books)
    out = tmp_path / "q1.beancount"
    result = cli("ledger", "export-beancount", CODE, "--out", str(out), "--to", "2025-03-31")
    assert result.exit_code == 0, result.output
    computed, entries = beancount_balances(out)
    assert computed == cli_balances(cli, "--to", "2025-03-31")
    assert {e.date for e in entries if isinstance(e, bc.Balance)} == {date(2025, 4, 1)}
    assert len([e for e in entries if isinstance(e, bc.Transaction)]) == 3


def test_beancount_catches_a_balance_that_disagrees(
    cli: Cli, books: Runtime, tmp_path: Path
) -> None:
    """The balance assertions are exact: one fen off is an error of Beancount's."""
    history(books)
    out = tmp_path / "books.beancount"
    assert cli("ledger", "export-beancount", CODE, "--out", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    tampered = text.replace("Assets:Fund:Bank  36000.01 CNY", "Assets:Fund:Bank  36000.02 CNY")
    assert tampered != text
    _, errors, _ = loader.load_string(tampered)
    assert len(errors) == 1 and "Balance failed" in errors[0].message


def test_empty_books_export_cleanly(cli: Cli, books: Runtime, tmp_path: Path) -> None:
    out = tmp_path / "empty.beancount"
    assert cli("ledger", "export-beancount", CODE, "--out", str(out)).exit_code == 0
    computed, _ = beancount_balances(out)
    assert set(computed.values()) == {0}


@pytest.mark.parametrize("unit", ["1-101", "A.1", "X", "XX1X", "栋", "a b", "-", "1X41X"])
def test_unit_codes_encode_injectively_into_valid_names(unit: str) -> None:
    from beancount.core.account import is_valid

    name = account_name("liability", "maintenance", "unit_subaccount", f"2101.{unit}", unit)
    assert is_valid(name) and name.isascii()
    tail = name.rsplit(":", 1)[1]
    assert decode_component(tail[1:]) == unit
    others = ["1-101", "A.1", "X", "XX1X", "栋", "a b", "-", "1X41X", "1A"]
    assert len({encode_component(u) for u in others}) == len(others)


# --- legacy import -----------------------------------------------------------------------

LEGACY = (
    "entry,date,memo,account,debit,credit\n"
    "L1,2019-01-02,首次交存,1001,1000.00,\n"
    "L1,2019-01-02,,2101.1-101,,600.00\n"
    "L1,2019-01-02,,2101.1-102,,400.00\n"
    "L2,2019-06-30,利息,1001,0.35,\n"
    "L2,2019-06-30,利息,2101.1-101,,0.35\n"
    "L3,2019-03-01,欠款,1202.1-102,50.00,\n"
    "L3,2019-03-01,,1201,,50.00\n"
)


def test_legacy_import_posts_each_entry_once(cli: Cli, books: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_text(LEGACY, encoding="utf-8")
    sha = hashlib.sha256(LEGACY.encode()).hexdigest()
    result = cli("ledger", "import", CODE, str(path))
    assert result.exit_code == 0, result.output
    assert "3 legacy entries from 2019-01-02 to 2019-06-30: 3 posted, 0 already" in result.output
    assert sha in result.output
    got = cli_balances(cli)
    assert got["1001"] == 1000_35 and got["2101.1-101"] == -600_35
    assert got["1202.1-102"] == 50_00 and got["1201"] == -50_00
    entry = books.query(get_entry, CODE, 1)
    assert entry.is_legacy and entry.kind == "legacy" and entry.legacy_file_sha256 == sha
    assert entry.memo == "首次交存"
    again = cli("ledger", "import", CODE, str(path))
    assert again.exit_code == 0, again.output
    assert "0 posted, 3 already in the books" in again.output
    assert cli_balances(cli) == got
    verify = cli("log", "verify", CODE)
    assert verify.exit_code == 0, verify.output
    assert "3 journal entries: clean" in verify.output


@pytest.mark.parametrize(
    ("body", "first"),
    [
        ("entry,date,memo,account,debit\nL1,2019-01-02,,1001,1.00\n",
         "legacy.csv:1: credit: the column credit is missing"),
        ("entry,date,memo,account,debit,credit\n"
         "L1,2019-01-02,,1001,1.00,\nL1,2019-01-02,,2101.1-101,,0.99\n",
         "legacy.csv:2: entry L1 (first line 2) does not balance: debits exceed credits by "
         "0.01 yuan"),
        ("entry,date,memo,account,debit,credit\n"
         "L1,2019-01-02,,1001,1.00,\nL1,2019-01-02,,9999,,1.00\n",
         "legacy.csv:3: account: there is no account 9999 in the books"),
        ("entry,date,memo,account,debit,credit\n"
         "L1,2019-01-02,,1001,1.005,\nL1,2019-01-02,,2101.1-101,,1.00\n",
         "legacy.csv:2: debit: '1.005' has more than two decimals"),
        ("entry,date,memo,account,debit,credit\n"
         "L1,2019-02-30,,1001,1.00,\nL1,2019-02-30,,2101.1-101,,1.00\n",
         "legacy.csv:2: date: '2019-02-30' is not a date (YYYY-MM-DD)"),
        ("entry,date,memo,account,debit,credit\n"
         "L1,2019-01-02,,1001,1.00,1.00\nL1,2019-01-02,,2101.1-101,,1.00\n",
         "legacy.csv:2: debit: give exactly one of debit and credit"),
        ("entry,date,memo,account,debit,credit\n"
         "L1,2019-01-02,,1001,1.00,\nL1,2019-01-03,,2101.1-101,,1.00\n",
         "legacy.csv:3: date: entry L1 has the date 2019-01-02 on line 2"),
        ("entry,date,memo,account,debit,credit\nL 1,2019-01-02,,1001,1.00,\n",
         "legacy.csv:2: entry: the entry id must be 1 to 64 letters"),
        ("entry,date,memo,account,debit,credit\n"
         "L1,2019-01-02,,1001,,6.00\nL1,2019-01-02,,5101,6.00,\n",
         "legacy.csv:2: entry L1 (first line 2): Account 1001 holds 5.00 yuan"),
        ("entry,date,memo,account,debit,credit\n", "legacy.csv:1: the file has no entries"),
        ("entry,date,memo,account,debit,credit\n\"L1,2019-01-02\n",
         "legacy.csv:2: a quoted cell"),
    ],
)  # fmt: skip
def test_legacy_import_refuses_bad_files_whole(
    cli: Cli, books: Runtime, tmp_path: Path, body: str, first: str
) -> None:
    post(books, date(2019, 1, 1), ("1001", 5_00), ("2101.1-102", -5_00))
    path = tmp_path / "legacy.csv"
    path.write_text(body, encoding="utf-8")
    before = cli_balances(cli)
    result = cli("ledger", "import", CODE, str(path))
    assert result.exit_code == 2, result.output
    assert result.output.startswith(str(tmp_path / first)), result.output
    assert result.output.count("\n") == 1
    assert "(rejected, nothing imported)" in result.output
    assert cli_balances(cli) == before


def test_every_problem_is_listed_with_all_problems(
    cli: Cli, books: Runtime, tmp_path: Path
) -> None:
    path = tmp_path / "legacy.csv"
    path.write_text(
        "entry,date,memo,account,debit,credit\n"
        "L1,2019-01-02,,1001,x,\n"
        "L1,2019-01-02,,nope,,1.00\n"
        "L2,,,1001,1.00,\n",
        encoding="utf-8",
    )
    result = cli("ledger", "import", CODE, str(path), "--all-problems")
    assert result.exit_code == 2
    lines = result.output.strip().split("\n")
    assert [line.split(":")[1] for line in lines] == ["2", "3", "4"]


def test_a_file_too_large_is_refused(cli: Cli, books: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes(b"entry,date,memo,account,debit,credit\n" + b"x" * (11 * 1024 * 1024))
    result = cli("ledger", "import", CODE, str(path))
    assert result.exit_code == 2
    assert "larger than 10 MB" in result.output


# --- fundvote log verify: the ledger's tables against the log ---------------------------


def tamper(rt: Runtime, sql: str) -> None:
    """Change rows behind the service; on PostgreSQL past the triggers that refuse it."""
    import sqlalchemy as sa

    with rt.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(sql))


def verify(cli: Cli) -> tuple[int, list[str]]:
    result = cli("log", "verify", CODE)
    return result.exit_code, result.output.strip().split("\n")[1:]


def test_a_clean_ledger_verifies(cli: Cli, books: Runtime) -> None:
    history(books)
    result = cli("log", "verify", CODE)
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("6 journal entries: clean")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("UPDATE posting SET amount_fen = amount_fen + 1 WHERE entry_id = 1 AND position = 1",
         [f"{CODE}: journal_entry id=1: content_sha256: not the hash of its content",
          f"{CODE}: posting entry=1: postings: differs from the log",
          f"{CODE}: ledger_account id=ACCOUNT: balance_fen: not the sum of its postings"]),
        ("UPDATE journal_entry SET memo = 'changed' WHERE id = 3",
         [f"{CODE}: journal_entry id=3: content_sha256: not the hash of its content",
          f"{CODE}: journal_entry id=3: memo: differs from the log"]),
        ("UPDATE ledger_account SET balance_fen = balance_fen - 5 WHERE code = '1001'",
         [f"{CODE}: ledger_account id=ACCOUNT: balance_fen: not the sum of its postings"]),
        ("UPDATE journal_entry SET log_index = log_index + 1 WHERE id = 2",
         [f"{CODE}: journal_entry id=2: log_index: not idx=LOGGED, which logs it"]),
        ("DELETE FROM posting WHERE entry_id = 6",
         [f"{CODE}: journal_entry id=6: content_sha256: not the hash of its content",
          f"{CODE}: posting entry=6: postings: differs from the log",
          f"{CODE}: ledger_account id=ACCOUNT: balance_fen: not the sum of its postings",
          f"{CODE}: ledger_account id=ACCOUNT: balance_fen: not the sum of its postings"]),
        ("UPDATE posting SET value_date = '2020-01-01' WHERE entry_id = 4 AND position = 2",
         [f"{CODE}: posting entry=4: value_date: not its entry's"]),
    ],
)  # fmt: skip
def test_a_changed_ledger_row_is_named(
    cli: Cli, books: Runtime, sql: str, expected: list[str]
) -> None:
    import re

    history(books)
    tamper(books, sql)
    status, lines = verify(cli)
    assert status == 1
    normal = [re.sub(r"idx=\d+", "idx=LOGGED", re.sub(r"account id=\d+", "account id=ACCOUNT",
                                                          line)) for line in lines]  # fmt: skip
    assert normal == expected


def test_a_logged_entry_without_its_row_is_named(cli: Cli, books: Runtime) -> None:
    history(books)
    tamper(books, "DELETE FROM posting WHERE entry_id = 6")
    tamper(books, "DELETE FROM journal_entry WHERE id = 6")
    tamper(books, "UPDATE ledger_account SET balance_fen = 0 WHERE code IN ('1001')")
    status, lines = verify(cli)
    assert status == 1
    assert any(
        line.startswith(f"{CODE}: journal_entry id=6: row: logged at idx=") for line in lines
    )


def test_export_refusals_leave_no_file(cli: Cli, books: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    result = cli("ledger", "export-beancount", "NOPE", "--out", str(folder / "x.beancount"))
    assert result.exit_code == 2
    assert result.output == "fundvote: There is no community NOPE.\n"
    assert list(folder.iterdir()) == []
    result = cli("ledger", "export-beancount", CODE, "--out", str(folder))
    assert result.exit_code == 2 and "is a directory" in result.output


def test_import_by_a_user_records_them_and_checks_their_role(
    cli: Cli, books: Runtime, tmp_path: Path
) -> None:
    from fundvote import auth

    for name, role in (("chair", "committee"), ("mgr", "manager")):
        books.run(
            auth.add_user,
            username=name,
            password="a long enough password",
            role=role,
            communities=[CODE],
        )
    path = tmp_path / "legacy.csv"
    path.write_text(LEGACY, encoding="utf-8")
    refused = cli("ledger", "import", CODE, str(path), "--by", "mgr")
    assert refused.exit_code == 2 and "mgr may not import" in refused.output
    assert cli("ledger", "import", CODE, str(path), "--by", "nobody").exit_code == 2
    assert cli_balances(cli)["1001"] == 0
    done = cli("ledger", "import", CODE, str(path), "--by", "chair")
    assert done.exit_code == 0, done.output
    chair = books.query(auth.find_user, "chair")
    assert chair is not None
    assert books.query(get_entry, CODE, 1).posted_by == chair.user_id
