"""Each ingestion rule, exercised by one small bad file next to an otherwise valid landing folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from cs_warehouse.defs.ingestion import reconciliation_problems
from cs_warehouse.ingestion.load import load_landing
from cs_warehouse.ingestion.readers import UnreadableFileError
from tests.landing_factory import event, write_events

ACCOUNTS_HEADER = "Id,Name,ParentId,Industry,BillingState,NumberOfEmployees,Segment__c,OwnerId,CreatedDate\n"
GOOD_ACCOUNT = "A001,株式会社サンプル,,製造,東京都,120,mid_market,U001,2024-02-01T10:00:00+09:00\n"


def quarantine(db: Path, entity: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select line, rule, column_name, raw_text from raw._quarantine where entity = ? order by line", [entity]
        ).fetchall()


def table_ids(db: Path, table: str, key: str = "id") -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute(f"select {key} from raw.{table} order by {key}").fetchall()]


def by_file(results: list) -> dict:
    return {r.source_file: r for r in results}


def test_clean_landing_loads_everything(landing: Path, db: Path) -> None:
    results = load_landing(db, landing)
    assert all(r.rows_quarantined == 0 for r in results)
    assert by_file(results)["accounts.csv"].rows_loaded == 2
    assert by_file(results)["product_events/dt=2024-03-02/part-0.parquet"].rows_loaded == 2
    assert table_ids(db, "accounts") == ["A001", "A002"]


@pytest.mark.parametrize(
    ("bad_row", "rule", "column"),
    [
        ("A009,株式会社X,,IT,東京都,abc,smb,U001,2024-02-01T10:00:00+09:00", "type", "NumberOfEmployees"),
        (",株式会社X,,IT,東京都,5,smb,U001,2024-02-01T10:00:00+09:00", "required", "Id"),
        ("A009,株式会社X,,IT,東京都,5,large,U001,2024-02-01T10:00:00+09:00", "enum", "Segment__c"),
        ("A009,株式会社X,,IT,東京都,-5,smb,U001,2024-02-01T10:00:00+09:00", "range", "NumberOfEmployees"),
        ("A009,株式会社X,,IT,東京都,5,smb,U001,2024-02-01 10:00:00", "timezone", "CreatedDate"),
        ("A009,株式会社X,,IT,東京都,5,smb,U001,next tuesday", "type", "CreatedDate"),
        ("A001,株式会社サンプル（重複）,,IT,東京都,5,smb,U001,2024-02-01T10:00:00+09:00", "duplicate_key", "Id"),
        ("A009,株式会社X,,IT,東京都,5,smb,U404,2024-02-01T10:00:00+09:00", "orphan_reference", "OwnerId"),
        ("A009,株式会社X,A404,IT,東京都,5,smb,U001,2024-02-01T10:00:00+09:00", "orphan_reference", "ParentId"),
    ],
)
def test_a_row_breaking_a_rule_is_quarantined_with_file_line_rule_and_text(
    landing: Path, db: Path, bad_row: str, rule: str, column: str
) -> None:
    (landing / "accounts.csv").write_text(ACCOUNTS_HEADER + GOOD_ACCOUNT + bad_row + "\n", encoding="utf-8")
    result = by_file(load_landing(db, landing))["accounts.csv"]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert quarantine(db, "accounts") == [(3, rule, column, bad_row)]
    assert table_ids(db, "accounts") == ["A001"]


def test_wrong_field_count_is_quarantined(landing: Path, db: Path) -> None:
    bad = "A009,株式会社X,,IT,東京都,5,smb,U001,2024-02-01T10:00:00+09:00,surplus"
    (landing / "accounts.csv").write_text(ACCOUNTS_HEADER + GOOD_ACCOUNT + bad + "\n", encoding="utf-8")
    load_landing(db, landing)
    assert quarantine(db, "accounts") == [(3, "column_count", None, bad)]


def test_multiline_quoted_field_keeps_its_first_line_number(landing: Path, db: Path) -> None:
    row = 'A009,"株式会社\n改行",,IT,東京都,5,smb,U001,2024-02-01T10:00:00+09:00\n'
    bad = "A010,株式会社Y,,IT,東京都,x,smb,U001,2024-02-01T10:00:00+09:00\n"
    (landing / "accounts.csv").write_text(ACCOUNTS_HEADER + GOOD_ACCOUNT + row + bad, encoding="utf-8")
    load_landing(db, landing)
    assert [q[0] for q in quarantine(db, "accounts")] == [5]
    assert table_ids(db, "accounts") == ["A001", "A009"]


def test_orphans_cascade_to_children(landing: Path, db: Path) -> None:
    (landing / "accounts.csv").write_text(
        ACCOUNTS_HEADER
        + GOOD_ACCOUNT
        + "A002,合同会社テスト,A001,小売,大阪府,abc,smb,U001,2024-03-01T10:00:00+09:00\n",
        encoding="utf-8",
    )
    load_landing(db, landing)
    # A002 is quarantined for its type error, so its contract, item, user and event become orphans.
    assert [q[1] for q in quarantine(db, "contracts")] == ["orphan_reference"]
    assert [q[1] for q in quarantine(db, "contract_items")] == ["orphan_reference"]
    assert [q[1] for q in quarantine(db, "product_events")] == ["orphan_reference"]


def test_cp932_file_is_decoded(landing: Path, db: Path) -> None:
    (landing / "accounts.csv").write_bytes((ACCOUNTS_HEADER + GOOD_ACCOUNT).encode("cp932"))
    result = by_file(load_landing(db, landing))["accounts.csv"]
    assert result.rows_loaded == 1
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select name, billing_state from raw.accounts").fetchall() == [
            ("株式会社サンプル", "東京都")
        ]
        assert con.execute("select encoding from raw._load_audit where entity = 'accounts'").fetchall() == [("cp932",)]


def test_utf8_bom_is_stripped_from_the_header(landing: Path, db: Path) -> None:
    (landing / "accounts.csv").write_bytes(b"\xef\xbb\xbf" + (ACCOUNTS_HEADER + GOOD_ACCOUNT).encode("utf-8"))
    assert by_file(load_landing(db, landing))["accounts.csv"].rows_loaded == 1


def test_undecodable_file_is_a_clean_error_naming_the_file(landing: Path, db: Path) -> None:
    (landing / "accounts.csv").write_bytes(ACCOUNTS_HEADER.encode() + b"A001,\x81\x20\x85\x40,,,,,smb,U001,x\n")
    with pytest.raises(UnreadableFileError, match=r"accounts\.csv: neither UTF-8 nor CP932"):
        load_landing(db, landing)


def test_missing_header_is_a_clean_error_naming_the_file_and_column(landing: Path, db: Path) -> None:
    (landing / "accounts.csv").write_text("Id,Name\nA001,x\n", encoding="utf-8")
    with pytest.raises(UnreadableFileError, match=r"accounts\.csv: missing required header.*Segment__c"):
        load_landing(db, landing)


def test_jsonl_export_with_a_broken_line(landing: Path, db: Path) -> None:
    (landing / "product_lines.csv").unlink()
    (landing / "product_lines.jsonl").write_text(
        '{"Id": "PL1", "Name": "Core", "NameJa__c": "コア"}\n{"Id": "PL2", "Name": \n', encoding="utf-8"
    )
    result = by_file(load_landing(db, landing))["product_lines.jsonl"]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert quarantine(db, "product_lines")[0][:2] == (2, "unparseable")


def test_loading_the_same_files_twice_adds_nothing(landing: Path, db: Path) -> None:
    load_landing(db, landing)
    second = load_landing(db, landing)
    assert all(r.skipped for r in second)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from raw.product_events").fetchall() == [(2,)]
        assert con.execute("select count(*) from raw.accounts").fetchall() == [(2,)]


def test_new_event_days_load_incrementally_and_redelivered_events_are_duplicates(landing: Path, db: Path) -> None:
    load_landing(db, landing)
    utc = dt.UTC
    write_events(
        landing,
        "2024-03-05",
        [
            event("E3", dt.datetime(2024, 3, 4, 1, 0, tzinfo=utc)),
            event("E1", dt.datetime(2024, 3, 1, 16, 0, tzinfo=utc)),  # delivered again by a retry
        ],
    )
    results = [r for r in load_landing(db, landing) if not r.skipped]
    assert [(r.source_file, r.rows_loaded, r.rows_quarantined) for r in results] == [
        ("product_events/dt=2024-03-05/part-0.parquet", 1, 1)
    ]
    assert quarantine(db, "product_events")[0][:3] == (2, "duplicate_key", "messageId")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from raw.product_events").fetchall() == [(3,)]


def test_a_changed_day_file_replaces_only_its_own_rows(landing: Path, db: Path) -> None:
    load_landing(db, landing)
    write_events(landing, "2024-03-02", [event("E1", dt.datetime(2024, 3, 1, 16, 0, tzinfo=dt.UTC))])
    load_landing(db, landing)
    assert table_ids(db, "product_events", "message_id") == ["E1"]


def test_naive_parquet_timestamps_break_the_zone_rule(landing: Path, db: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.landing_factory import event_table

    table = event_table([event("E9", dt.datetime(2024, 3, 3, 1, 0, tzinfo=dt.UTC))])
    table = table.set_column(7, "timestamp", table.column("timestamp").cast(pa.timestamp("us")))
    folder = landing / "product_events" / "dt=2024-03-03"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "part-0.parquet")
    load_landing(db, landing)
    assert quarantine(db, "product_events")[0][1:3] == ("timezone", "timestamp")


def test_reconciliation_holds_after_a_messy_load(landing: Path, db: Path) -> None:
    (landing / "accounts.csv").write_text(
        ACCOUNTS_HEADER + GOOD_ACCOUNT + GOOD_ACCOUNT + "A003,x,,IT,東京都,q,smb,U001,2024-02-01T10:00:00Z\n",
        encoding="utf-8",
    )
    load_landing(db, landing)
    with duckdb.connect(str(db), read_only=True) as con:
        for entity in ("accounts", "contracts", "product_events"):
            assert reconciliation_problems(con, entity) == []


def test_reconciliation_detects_a_row_lost_after_loading(landing: Path, db: Path) -> None:
    load_landing(db, landing)
    with duckdb.connect(str(db)) as con:
        con.execute("delete from raw.accounts where id = 'A002'")
        problems = reconciliation_problems(con, "accounts")
    assert problems == [
        {
            "source_file": "accounts.csv",
            "rows_read": 2,
            "rows_loaded": 2,
            "rows_quarantined": 0,
            "rows_in_table": 1,
            "rows_in_quarantine": 0,
        }
    ]


def test_children_are_revalidated_when_a_parent_export_comes_back(landing: Path, db: Path) -> None:
    good = (landing / "accounts.csv").read_text(encoding="utf-8")
    (landing / "accounts.csv").write_text(ACCOUNTS_HEADER, encoding="utf-8")  # a truncated export
    load_landing(db, landing)
    assert table_ids(db, "contracts") == []  # every contract is an orphan tonight
    (landing / "accounts.csv").write_text(good, encoding="utf-8")
    load_landing(db, landing)  # contracts.csv did not change, its parent did
    assert table_ids(db, "contracts") == ["C001", "C002"]
    assert quarantine(db, "contracts") == []
