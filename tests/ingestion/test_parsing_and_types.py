"""Row accounting a parser cannot fool, and values that are never coerced into their contract type.

Each test writes one hand-made export next to the minimal landing folder and loads only the entities it
needs. Expected counts are the physical rows of the input as written here (non-blank lines after the
header, one object per JSONL line, one Parquet row each), counted in the test, never taken from the loader.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cs_warehouse.defs.ingestion import reconciliation_problems
from cs_warehouse.ingestion import readers
from cs_warehouse.ingestion.load import load_landing
from cs_warehouse.ingestion.readers import UnreadableFileError
from cs_warehouse.ingestion.validate import MAX_FIELD_CHARS

ACCOUNTS_HEADER = "Id,Name,ParentId,Industry,BillingState,NumberOfEmployees,Segment__c,OwnerId,CreatedDate\n"
JST = dt.timezone(dt.timedelta(hours=9))


def account(i: int, name: str | None = None) -> str:
    return f"A{i:03d},{name or f'会社{i}'},,IT,東京都,5,smb,U001,2024-02-01T10:00:00+09:00\n"


def load(db: Path, landing: Path, entities: list[str], source_file: str, physical_rows: int) -> tuple[int, int]:
    """Load `entities`; check that `source_file` read exactly its physical rows, each loaded or quarantined,
    and that the tables agree with the audit. Returns (loaded, quarantined)."""
    result = {r.source_file: r for r in load_landing(db, landing, entities)}[source_file]
    assert result.rows_read == physical_rows
    assert result.rows_loaded + result.rows_quarantined == physical_rows
    with duckdb.connect(str(db), read_only=True) as con:
        for entity in entities:
            assert reconciliation_problems(con, entity) == []
    return result.rows_loaded, result.rows_quarantined


def quarantined(db: Path, entity: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select line, rule, column_name from raw._quarantine where entity = ? order by line", [entity]
        ).fetchall()


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def replace_export(landing: Path, entity: str, name: str) -> Path:
    (landing / f"{entity}.csv").unlink()
    return landing / name


# -- CSV: every physical row is accounted for ----------------------------------------------------------


def test_unterminated_quote_on_row_2_quarantines_that_line_and_loads_the_47_rows_after_it(
    landing: Path, db: Path
) -> None:
    lines = [account(i) for i in range(1, 50)]
    lines[1] = 'A002,"壊れた会社,,IT,東京都,5,smb,U001,2024-02-01T10:00:00+09:00\n'
    (landing / "accounts.csv").write_text(ACCOUNTS_HEADER + "".join(lines), encoding="utf-8")
    assert load(db, landing, ["users", "accounts"], "accounts.csv", 49) == (48, 1)
    assert quarantined(db, "accounts") == [(3, "unterminated_quote", None)]
    loaded = rows(db, "select id, _source_line from raw.accounts order by id")
    assert loaded == [("A001", 2)] + [(f"A{i:03d}", i + 1) for i in range(3, 50)]


def test_a_later_stray_quote_cannot_close_an_earlier_one_across_complete_rows(landing: Path, db: Path) -> None:
    # Joined, lines 3-5 would parse as one 9-field record (the quote after 会社4 closing the one on line 3);
    # line 4 is a complete row on its own, so the quote on line 3 is broken instead.
    broken = 'A002,"壊れた会社,,IT,東京都,5,smb,U001,2024-02-01T10:00:00+09:00\n'
    text = ACCOUNTS_HEADER + account(1) + broken + account(3) + account(4, '会社4"') + account(5)
    (landing / "accounts.csv").write_text(text, encoding="utf-8")
    assert load(db, landing, ["users", "accounts"], "accounts.csv", 5) == (4, 1)
    assert quarantined(db, "accounts") == [(3, "unterminated_quote", None)]
    assert rows(db, "select id, name from raw.accounts where id = 'A004'") == [("A004", '会社4"')]
    assert [r[0] for r in rows(db, "select id from raw.accounts order by id")] == ["A001", "A003", "A004", "A005"]


def test_a_closed_multiline_field_in_a_crlf_file_stays_one_row_with_its_line_breaks(landing: Path, db: Path) -> None:
    multiline = 'A002,"一行目\r\n\r\n三行目, 続き",,IT,東京都,5,smb,U001,2024-02-01T10:00:00Z\r\n'
    text = ACCOUNTS_HEADER + account(1) + multiline
    (landing / "accounts.csv").write_text(text + account(3).replace("\n", "\r\n"), encoding="utf-8")
    assert load(db, landing, ["users", "accounts"], "accounts.csv", 3) == (3, 0)
    assert rows(db, "select id, name, _source_line from raw.accounts order by id") == [
        ("A001", "会社1", 2),
        ("A002", "一行目\r\n\r\n三行目, 続き", 3),
        ("A003", "会社3", 6),
    ]


def test_a_1mb_quoted_field_loads_and_the_reader_keeps_its_place(landing: Path, db: Path) -> None:
    big = ("あ,\n" * 333_334)[:1_000_000]  # over the csv module's default 131,072-character field limit
    text = ACCOUNTS_HEADER + account(1) + account(2, '"' + big + '"') + account(3) + account(4)
    (landing / "accounts.csv").write_text(text, encoding="utf-8")
    assert load(db, landing, ["users", "accounts"], "accounts.csv", 4) == (4, 0)
    assert rows(db, "select id, length(name), _source_line from raw.accounts order by id") == [
        ("A001", 3, 2),
        ("A002", 1_000_000, 3),
        ("A003", 3, 3 + 333_334),
        ("A004", 3, 4 + 333_334),
    ]


def test_a_field_over_the_contract_limit_is_quarantined_as_field_too_long(landing: Path, db: Path) -> None:
    assert MAX_FIELD_CHARS == 1_048_576  # the limit documented in docs/raw_contract.md
    text = ACCOUNTS_HEADER + account(1) + account(2, '"' + "x" * (MAX_FIELD_CHARS + 1) + '"') + account(3)
    (landing / "accounts.csv").write_text(text, encoding="utf-8")
    assert load(db, landing, ["users", "accounts"], "accounts.csv", 3) == (2, 1)
    assert quarantined(db, "accounts") == [(3, "field_too_long", "Name")]


def test_a_bare_carriage_return_does_not_split_a_line_into_two_rows(landing: Path, db: Path) -> None:
    text = ACCOUNTS_HEADER + account(1) + account(2, "会社\r2") + "\n" + account(3)  # line 4 is blank
    (landing / "accounts.csv").write_text(text, encoding="utf-8")
    assert load(db, landing, ["users", "accounts"], "accounts.csv", 3) == (2, 1)
    assert quarantined(db, "accounts") == [(3, "stray_carriage_return", None)]
    assert rows(db, "select id, _source_line from raw.accounts order by id") == [("A001", 2), ("A003", 5)]


def test_a_parser_that_reads_past_its_line_stops_the_load(
    landing: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A line scanner blind to quotes hands the csv module half a record: the parser then reads the next
    # line too, the line counts disagree, and the file fails closed instead of mislabelling rows.
    text = ACCOUNTS_HEADER + account(1) + account(2, '"二行\nの名前"') + account(3)
    (landing / "accounts.csv").write_text(text, encoding="utf-8")
    monkeypatch.setattr(readers, "_ends_in_open_quote", lambda line, in_quotes: False)
    with pytest.raises(UnreadableFileError, match=r"accounts\.csv: line count mismatch.* line 3"):
        load_landing(db, landing, ["users", "accounts"])


def test_jsonl_lines_end_only_at_lf(landing: Path, db: Path) -> None:
    path = replace_export(landing, "product_lines", "product_lines.jsonl")
    first = json.dumps({"Id": "PL1", "Name": "Core\u2028Suite\x85Pro", "NameJa__c": "コア"}, ensure_ascii=False)
    path.write_text(first + "\r\n\n" + '{"Id": "PL2", "Name": \n', encoding="utf-8")
    assert load(db, landing, ["product_lines"], "product_lines.jsonl", 2) == (1, 1)
    assert quarantined(db, "product_lines") == [(3, "unparseable", None)]
    assert rows(db, "select id, name from raw.product_lines") == [("PL1", "Core\u2028Suite\x85Pro")]


# -- strict types: Parquet ------------------------------------------------------------------------------


def plans_parquet(landing: Path, rank: pa.Array, price: pa.Array) -> None:
    n = len(rank)
    table = pa.table(
        {
            "Id": [f"P{i}" for i in range(1, n + 1)],
            "Name": [f"Plan {i}" for i in range(1, n + 1)],
            "ProductLineId": ["PL1"] * n,
            "Tier__c": ["standard"] * n,
            "TierRank__c": rank,
            "ListPricePerSeatJpy__c": price,
        }
    )
    pq.write_table(table, replace_export(landing, "plans", "plans.parquet"))


def test_parquet_float_in_an_integer_column_loads_only_when_whole(landing: Path, db: Path) -> None:
    plans_parquet(landing, pa.array([2.0, 10.7, -3.0], pa.float64()), pa.array([3000, 3000, 3000], pa.int64()))
    assert load(db, landing, ["product_lines", "plans"], "plans.parquet", 3) == (1, 2)
    # -3.0 is whole and typed to -3, then breaks the contract's min: 0.
    assert quarantined(db, "plans") == [(2, "type", "TierRank__c"), (3, "range", "TierRank__c")]
    assert rows(db, "select id, tier_rank_c from raw.plans") == [("P1", 2)]


@pytest.mark.parametrize("price_type", [pa.decimal128(18, 3), pa.float64()], ids=["decimal_18_3", "double"])
def test_parquet_price_beyond_two_decimal_places_is_quarantined_not_rounded(
    landing: Path, db: Path, price_type: pa.DataType
) -> None:
    prices = [decimal.Decimal("6000.499"), decimal.Decimal("3000.500"), decimal.Decimal("0.070")]
    values = prices if pa.types.is_decimal(price_type) else [float(p) for p in prices]
    plans_parquet(landing, pa.array([1, 2, 3], pa.int64()), pa.array(values, price_type))
    assert load(db, landing, ["product_lines", "plans"], "plans.parquet", 3) == (2, 1)
    assert quarantined(db, "plans") == [(1, "type", "ListPricePerSeatJpy__c")]
    assert rows(db, "select id, list_price_per_seat_jpy_c from raw.plans order by id") == [
        ("P2", decimal.Decimal("3000.50")),
        ("P3", decimal.Decimal("0.07")),
    ]


def users_parquet(landing: Path, is_active: pa.Array, name: pa.Array | None = None) -> None:
    n = len(is_active)
    table = pa.table(
        {
            "Id": [f"U{i:03d}" for i in range(1, n + 1)],
            "Name": name if name is not None else [f"担当{i}" for i in range(1, n + 1)],
            "Email": pa.array([None] * n, pa.string()),
            "UserRole": ["csm"] * n,
            "IsActive": is_active,
            "CreatedDate": pa.array([dt.datetime(2024, 1, 5, tzinfo=dt.UTC)] * n, pa.timestamp("us", tz="UTC")),
            "Team": pa.array([None] * n, pa.string()),
            "ManagerId": pa.array([None] * n, pa.string()),
        }
    )
    pq.write_table(table, replace_export(landing, "users", "users.parquet"))


def test_parquet_integer_in_a_boolean_column_accepts_only_0_and_1(landing: Path, db: Path) -> None:
    users_parquet(landing, pa.array([1, 0, 2, -1], pa.int64()))
    assert load(db, landing, ["users"], "users.parquet", 4) == (2, 2)
    assert quarantined(db, "users") == [(3, "type", "IsActive"), (4, "type", "IsActive")]
    assert rows(db, "select id, is_active from raw.users order by id") == [("U001", True), ("U002", False)]


def test_parquet_float_in_a_boolean_column_is_quarantined(landing: Path, db: Path) -> None:
    users_parquet(landing, pa.array([1.0, 0.0], pa.float64()))
    assert load(db, landing, ["users"], "users.parquet", 2) == (0, 2)
    assert quarantined(db, "users") == [(1, "type", "IsActive"), (2, "type", "IsActive")]


def test_parquet_binary_in_a_text_column_is_quarantined(landing: Path, db: Path) -> None:
    users_parquet(landing, pa.array([True], pa.bool_()), name=pa.array(["佐藤".encode()], pa.binary()))
    assert load(db, landing, ["users"], "users.parquet", 1) == (0, 1)
    assert quarantined(db, "users") == [(1, "type", "Name")]


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "UTC"])
def test_parquet_zoned_timestamp_in_a_date_column_is_the_tokyo_date_at_tokyo_midnight_only(
    landing: Path, db: Path, zone: str
) -> None:
    # The column's zone does not matter, the instant does: 2024-01-31T15:00Z is midnight on February 1 in
    # Tokyo (UTC would say January 31). 2024-03-01T00:00Z is 09:00 in Tokyo: not a date.
    starts = [
        dt.datetime(2024, 2, 1, tzinfo=JST),
        dt.datetime(2024, 4, 1, tzinfo=JST),
        dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
    ]
    ends = [dt.datetime(2024, 4, 1, tzinfo=JST), None, None]
    table = pa.table(
        {
            "Id": ["AS1", "AS2", "AS3"],
            "AccountId": ["A001", "A001", "A002"],
            "UserId": ["U002", "U001", "U001"],
            "StartDate": pa.array(starts, pa.timestamp("us", tz=zone)),
            "EndDate": pa.array(ends, pa.timestamp("us", tz=zone)),
        }
    )
    pq.write_table(table, replace_export(landing, "account_csm_assignments", "account_csm_assignments.parquet"))
    entities = ["users", "accounts", "account_csm_assignments"]
    assert load(db, landing, entities, "account_csm_assignments.parquet", 3) == (2, 1)
    assert quarantined(db, "account_csm_assignments") == [(3, "type", "StartDate")]
    assert rows(db, "select id, start_date, end_date from raw.account_csm_assignments order by id") == [
        ("AS1", dt.date(2024, 2, 1), dt.date(2024, 4, 1)),
        ("AS2", dt.date(2024, 4, 1), None),
    ]


def test_parquet_naive_timestamp_in_a_date_column_loads_only_at_midnight(landing: Path, db: Path) -> None:
    table = pa.table(
        {
            "Id": ["AS1", "AS2"],
            "AccountId": ["A001", "A001"],
            "UserId": ["U002", "U001"],
            "StartDate": pa.array([dt.datetime(2024, 2, 1), dt.datetime(2024, 4, 1, 9)], pa.timestamp("us")),
            "EndDate": pa.array([None, None], pa.timestamp("us")),
        }
    )
    pq.write_table(table, replace_export(landing, "account_csm_assignments", "account_csm_assignments.parquet"))
    entities = ["users", "accounts", "account_csm_assignments"]
    assert load(db, landing, entities, "account_csm_assignments.parquet", 2) == (1, 1)
    assert quarantined(db, "account_csm_assignments") == [(2, "type", "StartDate")]
    assert rows(db, "select id, start_date from raw.account_csm_assignments") == [("AS1", dt.date(2024, 2, 1))]


# -- strict types: JSONL and CSV text -------------------------------------------------------------------


def plans_jsonl(landing: Path, values: list[tuple[object, object]]) -> None:
    lines = [
        json.dumps({"Id": f"P{i}", "Name": f"Plan {i}", "ProductLineId": "PL1", "Tier__c": "standard"})[:-1]
        + f', "TierRank__c": {rank}, "ListPricePerSeatJpy__c": {price}}}'
        for i, (rank, price) in enumerate(values, start=1)
    ]
    replace_export(landing, "plans", "plans.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_jsonl_fractional_number_in_an_integer_column_is_quarantined(landing: Path, db: Path) -> None:
    plans_jsonl(landing, [("2", "3000"), ("10.7", "3000"), ("3.0", "3000"), ("true", "3000"), ('"4"', "3000")])
    assert load(db, landing, ["product_lines", "plans"], "plans.jsonl", 5) == (3, 2)
    assert quarantined(db, "plans") == [(2, "type", "TierRank__c"), (4, "type", "TierRank__c")]
    assert rows(db, "select id, tier_rank_c from raw.plans order by id") == [("P1", 2), ("P3", 3), ("P5", 4)]


def test_jsonl_price_beyond_two_decimal_places_is_quarantined_as_number_or_text(landing: Path, db: Path) -> None:
    values = [("1", "6000.499"), ("1", '"6000.499"'), ("1", "6000.500"), ("1", "0.07"), ("1", "1e3")]
    plans_jsonl(landing, values)
    assert load(db, landing, ["product_lines", "plans"], "plans.jsonl", 5) == (2, 3)
    col = "ListPricePerSeatJpy__c"
    assert quarantined(db, "plans") == [(1, "type", col), (2, "type", col), (5, "type", col)]
    assert rows(db, "select id, list_price_per_seat_jpy_c from raw.plans order by id") == [
        ("P3", decimal.Decimal("6000.50")),
        ("P4", decimal.Decimal("0.07")),
    ]


def test_jsonl_number_in_a_boolean_column_accepts_only_0_and_1(landing: Path, db: Path) -> None:
    active = ["true", "1", "0", "2", "1.0", '"yes"']
    lines = [
        json.dumps({"Id": f"U{i:03d}", "Name": "担当", "UserRole": "csm", "CreatedDate": "2024-01-05T00:00:00Z"})[:-1]
        + f', "IsActive": {value}}}'
        for i, value in enumerate(active, start=1)
    ]
    replace_export(landing, "users", "users.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert load(db, landing, ["users"], "users.jsonl", 6) == (4, 2)
    assert quarantined(db, "users") == [(4, "type", "IsActive"), (5, "type", "IsActive")]
    assert rows(db, "select id, is_active from raw.users order by id") == [
        ("U001", True),
        ("U002", True),
        ("U003", False),
        ("U006", True),
    ]


def test_jsonl_timestamp_in_a_date_column_is_the_tokyo_date_at_tokyo_midnight_only(landing: Path, db: Path) -> None:
    starts = ["2024-02-01T00:00:00+09:00", "2024-01-31T15:00:00Z", "2024-03-01T00:00:00Z", "2024-04-01"]
    lines = [
        json.dumps({"Id": f"AS{i}", "AccountId": "A001", "UserId": "U001", "StartDate": start})
        for i, start in enumerate(starts, start=1)
    ]
    path = replace_export(landing, "account_csm_assignments", "account_csm_assignments.jsonl")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    entities = ["users", "accounts", "account_csm_assignments"]
    assert load(db, landing, entities, "account_csm_assignments.jsonl", 4) == (3, 1)
    assert quarantined(db, "account_csm_assignments") == [(3, "type", "StartDate")]
    assert rows(db, "select id, start_date from raw.account_csm_assignments order by id") == [
        ("AS1", dt.date(2024, 2, 1)),
        ("AS2", dt.date(2024, 2, 1)),
        ("AS4", dt.date(2024, 4, 1)),
    ]


def test_csv_decimal_text_beyond_two_places_is_quarantined(landing: Path, db: Path) -> None:
    (landing / "plans.csv").write_text(
        "Id,Name,ProductLineId,Tier__c,TierRank__c,ListPricePerSeatJpy__c\n"
        "P1,A,PL1,standard,2,6000.499\n"
        "P2,B,PL1,standard,2,6000.490\n"
        "P3,C,PL1,standard,7.00,12\n"
        "P4,D,PL1,standard,7.5,12\n",
        encoding="utf-8",
    )
    assert load(db, landing, ["product_lines", "plans"], "plans.csv", 4) == (2, 2)
    assert quarantined(db, "plans") == [(2, "type", "ListPricePerSeatJpy__c"), (5, "type", "TierRank__c")]
    assert rows(db, "select id, tier_rank_c, list_price_per_seat_jpy_c from raw.plans order by id") == [
        ("P2", 2, decimal.Decimal("6000.49")),
        ("P3", 7, decimal.Decimal("12.00")),
    ]
