"""Fail closed at ingestion: absurd values, missing exports, misnamed day folders, orphans that come back.

Each case loads a small hand-written landing folder (tests/landing_factory.py) with the Loader, no dbt, and
checks that every row read is either in its raw table or in the quarantine, counted from the tables.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from cs_warehouse.contract import parse_contract
from cs_warehouse.defs.ingestion import reconciliation_problems
from cs_warehouse.ingestion.discovery import MissingExportError, PartitionFolderError
from cs_warehouse.ingestion.load import load_landing
from cs_warehouse.runs import pending_event_days
from tests.landing_factory import CSV_FILES, event, write_events

UTC = dt.UTC
ITEMS_HEADER = "Id,ContractId,PlanId,Quantity,Amount,StartDate,EndDate\n"
CONTRACTS_HEADER = (
    "Id,AccountId,ContractNumber,StartDate,EndDate,ContractTerm,BillingPeriod__c,Status,"
    "CancellationDate__c,PreviousContractId__c,CurrencyIsoCode\n"
)
EVENTS_FILE = "product_events/dt=2024-03-02/part-0.parquet"


def physical(db: Path, entity: str, source_file: str) -> tuple[int, int]:
    """Rows of one file in its raw table and in the quarantine, counted from the tables."""
    with duckdb.connect(str(db), read_only=True) as con:
        in_table = con.execute(f"select count(*) from raw.{entity} where _source_file = ?", [source_file]).fetchall()
        quarantined = con.execute(
            "select count(*) from raw._quarantine where entity = ? and source_file = ?", [entity, source_file]
        ).fetchall()
    return in_table[0][0], quarantined[0][0]


def assert_accounted(db: Path, results: list) -> None:
    """Per file: rows read = loaded + quarantined, the tables hold exactly that, and the audit reconciles."""
    for r in results:
        assert r.rows_read == r.rows_loaded + r.rows_quarantined, r
        assert physical(db, r.entity, r.source_file) == (r.rows_loaded, r.rows_quarantined), r
    with duckdb.connect(str(db), read_only=True) as con:
        for entity in {r.entity for r in results}:
            assert reconciliation_problems(con, entity) == [], entity


def quarantined(db: Path, entity: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select line, rule, column_name, violations from raw._quarantine where entity = ? order by line",
            [entity],
        ).fetchall()


def ids(db: Path, table: str, key: str = "id") -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute(f"select {key} from raw.{table} order by 1").fetchall()]


def by_file(results: list) -> dict:
    return {r.source_file: r for r in results}


# -- bounds ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "violation"),
    [
        ("1000000000000", "range:Amount (max 10000000000)"),  # 10^12 JPY for one item
        ("9999999999999999.99", "range:Amount (max 10000000000)"),  # the largest decimal(18, 2)
        ("-1", "range:Amount (min 0)"),
    ],
)
def test_an_absurd_amount_is_quarantined_with_the_bound_it_breaks(
    landing: Path, db: Path, amount: str, violation: str
) -> None:
    (landing / "contract_items.csv").write_text(
        ITEMS_HEADER
        + "I001,C001,P_STD,10,360000,2024-02-01,\n"
        + "I002,C002,P_STD,2,10000000000,2024-03-01,\n"  # exactly the bound: loaded
        + f"I003,C001,P_STD,1,{amount},2024-02-01,\n",
        encoding="utf-8",
    )
    results = load_landing(db, landing)
    item = by_file(results)["contract_items.csv"]
    assert (item.rows_read, item.rows_loaded, item.rows_quarantined) == (3, 2, 1)
    assert quarantined(db, "contract_items") == [(4, "range", "Amount", violation)]
    assert ids(db, "contract_items") == ["I001", "I002"]
    assert_accounted(db, results)


def test_a_contract_from_1900_to_9999_is_quarantined(landing: Path, db: Path) -> None:
    (landing / "contracts.csv").write_text(
        CONTRACTS_HEADER
        + CSV_FILES["contracts.csv"].split("\n", 1)[1]
        + "C003,A001,00000003,1900-01-01,9999-12-31,12,annual,active,,,JPY\n",
        encoding="utf-8",
    )
    results = load_landing(db, landing)
    contracts = by_file(results)["contracts.csv"]
    assert (contracts.rows_read, contracts.rows_loaded, contracts.rows_quarantined) == (3, 2, 1)
    assert quarantined(db, "contracts") == [
        (4, "range", "StartDate", "range:StartDate (min 2000-01-01); range:EndDate (max 2100-12-31)")
    ]
    assert ids(db, "contracts") == ["C001", "C002"]
    assert_accounted(db, results)


def test_an_event_timestamp_outside_the_bounds_is_quarantined(landing: Path, db: Path) -> None:
    write_events(
        landing,
        "2024-03-02",
        [
            event("E1", dt.datetime(2024, 3, 1, 16, 0, tzinfo=UTC)),
            event("E2", dt.datetime(2000, 1, 1, 0, 0, tzinfo=UTC)),  # exactly the lower bound: loaded
            event("E3", dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ],
    )
    results = load_landing(db, landing)
    events = by_file(results)[EVENTS_FILE]
    assert (events.rows_read, events.rows_loaded, events.rows_quarantined) == (3, 2, 1)
    assert quarantined(db, "product_events") == [
        (3, "range", "timestamp", "range:timestamp (min 2000-01-01T00:00:00+00:00)")
    ]
    assert_accounted(db, results)


# -- missing exports ------------------------------------------------------------------------------------


def test_a_missing_export_fails_the_load_naming_the_file(landing: Path, db: Path) -> None:
    (landing / "csat_responses.csv").unlink()
    with pytest.raises(MissingExportError) as error:
        load_landing(db, landing, optional=set())
    assert str(landing / "csat_responses.csv") in str(error.value)
    assert "CSW_OPTIONAL_EXPORTS=csat_responses" in str(error.value)
    # Nothing was loaded: the check runs before the first file.
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from raw._load_audit").fetchall() == [(0,)]
        assert con.execute("select count(*) from raw.accounts").fetchall() == [(0,)]


def test_a_missing_export_declared_optional_is_skipped(
    landing: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (landing / "csat_responses.csv").unlink()
    monkeypatch.setenv("CSW_OPTIONAL_EXPORTS", "csat_responses")
    results = load_landing(db, landing)
    assert "csat_responses.csv" not in by_file(results)
    # product_usage_daily and activities are optional in the contract and absent from the minimal landing folder too.
    assert {r.entity for r in results} == {
        "users", "accounts", "account_csm_assignments", "contacts", "product_lines", "plans", "contracts",
        "contract_items", "opportunities", "cancellation_surveys", "support_tickets", "nps_responses",
        "product_users", "product_events",
    }  # fmt: skip
    assert all(r.rows_quarantined == 0 for r in results)
    assert_accounted(db, results)


# -- day folders ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["dt=2024-02-30", "dt=yesterday"])
def test_a_day_folder_that_is_not_a_date_fails_naming_the_folder(landing: Path, db: Path, folder: str) -> None:
    bad = landing / "product_events" / folder
    bad.mkdir()
    (bad / "part-0.parquet").write_bytes((landing / EVENTS_FILE).read_bytes())
    with pytest.raises(PartitionFolderError) as error:
        load_landing(db, landing)
    assert str(bad) in str(error.value)
    assert "partition_folder" in str(error.value)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from raw._load_audit").fetchall() == [(0,)]
    # The run planner (schedule, sensor, CLI) lists the pending days with the same discovery: same error.
    with pytest.raises(PartitionFolderError, match="partition_folder"):
        pending_event_days(landing, db)


# -- orphaned events ------------------------------------------------------------------------------------

ACCOUNTS_WITHOUT_A002 = "\n".join(CSV_FILES["accounts.csv"].splitlines()[:2]) + "\n"


def test_orphaned_events_load_once_their_accounts_are_back_and_leave_when_they_go(landing: Path, db: Path) -> None:
    write_events(
        landing,
        "2024-03-02",
        [
            event("E1", dt.datetime(2024, 3, 1, 16, 0, tzinfo=UTC)),
            event("E2", dt.datetime(2024, 3, 2, 3, 0, tzinfo=UTC), user="PU2", account="A002"),
            event("E3", dt.datetime(2024, 3, 2, 4, 0, tzinfo=UTC), user="PU2", account="A002"),
        ],
    )
    full_accounts = (landing / "accounts.csv").read_text(encoding="utf-8")

    # Night 1: the accounts export lacks A002, so its product user PU2 and PU2's events are orphans.
    (landing / "accounts.csv").write_text(ACCOUNTS_WITHOUT_A002, encoding="utf-8")
    night1 = load_landing(db, landing)
    events1 = by_file(night1)[EVENTS_FILE]
    assert (events1.rows_read, events1.rows_loaded, events1.rows_quarantined) == (3, 1, 2)
    assert [(line, rule, col) for line, rule, col, _ in quarantined(db, "product_events")] == [
        (2, "orphan_reference", "userId"),
        (3, "orphan_reference", "userId"),
    ]
    assert_accounted(db, night1)

    # Night 2: the accounts export is whole again; the event file itself is unchanged.
    (landing / "accounts.csv").write_text(full_accounts, encoding="utf-8")
    night2 = load_landing(db, landing)
    events2 = by_file(night2)[EVENTS_FILE]
    assert events2.revalidated
    assert (events2.rows_read, events2.rows_loaded, events2.rows_quarantined) == (3, 3, 0)
    assert ids(db, "product_events", "message_id") == ["E1", "E2", "E3"]
    assert quarantined(db, "product_events") == []
    with duckdb.connect(str(db), read_only=True) as con:
        # Re-admitted rows belong to the load that admitted them, so incremental models see them as new.
        night2_load = con.execute("select max(load_id) from raw._load_audit").fetchall()[0][0]
        assert con.execute(
            "select message_id, _load_id = ? from raw.product_events order by 1", [night2_load]
        ).fetchall() == [("E1", False), ("E2", True), ("E3", True)]
        assert con.execute("select count(*) from raw._orphans_product_events").fetchall() == [(0,)]
    assert_accounted(db, night2)

    # Night 3: A002 is gone again; its loaded events move to the quarantine, as a snapshot child's rows would.
    (landing / "accounts.csv").write_text(ACCOUNTS_WITHOUT_A002, encoding="utf-8")
    night3 = load_landing(db, landing)
    events3 = by_file(night3)[EVENTS_FILE]
    assert (events3.rows_read, events3.rows_loaded, events3.rows_quarantined) == (3, 1, 2)
    assert ids(db, "product_events", "message_id") == ["E1"]
    assert [(line, rule, col) for line, rule, col, _ in quarantined(db, "product_events")] == [
        (2, "orphan_reference", "userId"),
        (3, "orphan_reference", "userId"),
    ]
    assert_accounted(db, night3)

    # Night 4: nothing changed, so nothing is re-checked and the event file has no new audit row.
    night4 = load_landing(db, landing)
    assert EVENTS_FILE not in by_file(night4)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from raw._load_audit where source_file = ?", [EVENTS_FILE]).fetchall() == [
            (3,)
        ]
    assert physical(db, "product_events", EVENTS_FILE) == (1, 2)


def test_an_orphan_whose_key_loaded_meanwhile_becomes_a_duplicate(landing: Path, db: Path) -> None:
    (landing / "accounts.csv").write_text(ACCOUNTS_WITHOUT_A002, encoding="utf-8")
    write_events(landing, "2024-03-02", [event("E2", dt.datetime(2024, 3, 2, 3, 0, tzinfo=UTC), "PU2", "A002")])
    load_landing(db, landing)
    # The same message, resent on a later day with a user that exists, loads; then A002 comes back.
    later = write_events(landing, "2024-03-03", [event("E2", dt.datetime(2024, 3, 2, 3, 0, tzinfo=UTC))])
    (landing / "accounts.csv").write_text(CSV_FILES["accounts.csv"], encoding="utf-8")
    results = load_landing(db, landing)
    assert later.exists()
    assert ids(db, "product_events", "message_id") == ["E2"]
    assert [(rule, col) for _, rule, col, _ in quarantined(db, "product_events")] == [("duplicate_key", "messageId")]
    assert physical(db, "product_events", EVENTS_FILE) == (0, 1)
    assert physical(db, "product_events", "product_events/dt=2024-03-03/part-0.parquet") == (1, 0)
    assert_accounted(db, results)


# -- the contract's bounds --------------------------------------------------------------------------------


def _contract(bounds: dict, column: dict) -> dict:
    return {
        "version": 1,
        "bounds": bounds,
        "entities": {
            "things": {"source": "crm", "primary_key": "Id", "columns": [{"name": "Id", "type": "string"}, column]}
        },
    }


def test_a_column_bound_overrides_the_type_default_and_null_removes_it() -> None:
    bounds = {"integer": {"min": 0, "max": 1000}, "date": {"min": "2000-01-01", "max": "2100-12-31"}}
    seats = parse_contract(_contract(bounds, {"name": "Seats", "type": "integer", "max": 50})).entities["things"]
    assert (seats.column("Seats").min, seats.column("Seats").max) == (0, 50)
    open_end = parse_contract(_contract(bounds, {"name": "Day", "type": "date", "max": None})).entities["things"]
    assert (open_end.column("Day").min, open_end.column("Day").max) == (dt.date(2000, 1, 1), None)


@pytest.mark.parametrize(
    ("bounds", "column", "message"),
    [
        ({}, {"name": "At", "type": "timestamp", "min": "2000-01-01T00:00:00"}, "needs a zone"),
        ({}, {"name": "N", "type": "integer", "min": 10, "max": 1}, "above max"),
        ({}, {"name": "S", "type": "string", "max": 3}, "takes no min/max"),
        ({"boolean": {"max": 1}}, {"name": "N", "type": "integer"}, "take bounds"),
    ],
)
def test_a_malformed_bound_is_rejected(bounds: dict, column: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_contract(_contract(bounds, column))
