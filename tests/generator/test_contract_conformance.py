from __future__ import annotations

from datetime import date, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from _contract_checks import violations

from conftest import END, manifest, read_csv

JST = timezone(timedelta(hours=9))
CSV_ENTITIES = [
    "users",
    "accounts",
    "account_csm_assignments",
    "contacts",
    "product_lines",
    "plans",
    "contracts",
    "contract_items",
    "opportunities",
    "cancellation_surveys",
    "activities",
    "support_tickets",
    "nps_responses",
    "csat_responses",
    "product_users",
]


def _all_keys(folder: Path, contract: dict) -> dict[str, set[str]]:
    return {name: {r[contract[name]["primary_key"]] for r in read_csv(folder, name)[1]} for name in CSV_ENTITIES}


def test_every_csv_entity_is_written(clean_dir: Path, contract: dict) -> None:
    # product_usage_daily is the aggregate alternative for sources without raw events; the generator writes
    # raw events instead, so that file is deliberately absent.
    assert set(contract) - {"product_events", "product_usage_daily"} == set(CSV_ENTITIES)
    for name in CSV_ENTITIES:
        assert (clean_dir / f"{name}.csv").exists(), name


@pytest.mark.parametrize("entity", CSV_ENTITIES)
def test_csv_follows_the_contract(clean_dir: Path, contract: dict, entity: str) -> None:
    header, rows = read_csv(clean_dir, entity)
    assert header == [c["name"] for c in contract[entity]["columns"]]
    assert rows, f"{entity} is empty"
    assert not violations(contract[entity], rows, _all_keys(clean_dir, contract))
    assert manifest(clean_dir)["row_counts"][entity] == len(rows)


def test_contacts_are_cp932(clean_dir: Path) -> None:
    raw = (clean_dir / "contacts.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp932")
    assert text.startswith("Id,AccountId,LastName")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)  # kanji survive the round trip
    assert manifest(clean_dir)["encodings"]["contacts.csv"] == "cp932"


def test_booleans_dates_and_timestamps_are_formatted(clean_dir: Path) -> None:
    _, users = read_csv(clean_dir, "users")
    assert {u["IsActive"] for u in users} <= {"true", "false"}
    assert users[0]["CreatedDate"].endswith("+09:00")
    _, tickets = read_csv(clean_dir, "support_tickets")
    assert tickets[0]["created_at"].endswith("Z")


def test_csm_owner_is_the_current_assignment(clean_dir: Path) -> None:
    _, accounts = read_csv(clean_dir, "accounts")
    _, assignments = read_csv(clean_dir, "account_csm_assignments")
    current = {a["AccountId"]: a["UserId"] for a in assignments if a["EndDate"] == ""}
    assert all(current[a["Id"]] == a["OwnerId"] for a in accounts)
    assert len(current) == len(accounts)


def test_every_csm_reports_to_a_cs_manager_and_shares_their_team(clean_dir: Path) -> None:
    _, users = read_csv(clean_dir, "users")
    by_id = {u["Id"]: u for u in users}
    csms = [u for u in users if u["UserRole"] == "csm"]
    assert csms
    for csm in csms:
        manager = by_id[csm["ManagerId"]]
        assert manager["UserRole"] == "cs_manager"
        assert csm["Team"] == manager["Team"] != ""
    # managers head teams of their own; nobody manages a manager
    teams = [u["Team"] for u in users if u["UserRole"] == "cs_manager"]
    assert len(set(teams)) == len(teams)
    assert all(u["ManagerId"] == "" for u in users if u["UserRole"] != "csm")


def test_contract_dates_are_consistent(clean_dir: Path) -> None:
    _, contracts = read_csv(clean_dir, "contracts")
    by_id = {c["Id"]: c for c in contracts}
    for c in contracts:
        assert c["StartDate"] <= c["EndDate"]
        if c["Status"] in ("cancelled", "pending_cancellation"):
            assert c["CancellationDate__c"] and c["CancellationDate__c"] <= END
        if c["Status"] == "pending_cancellation":
            assert c["EndDate"] >= END
        if c["PreviousContractId__c"]:
            prev = by_id[c["PreviousContractId__c"]]
            assert prev["Status"] == "renewed"
            gap = date.fromisoformat(c["StartDate"]) - date.fromisoformat(prev["EndDate"])
            assert timedelta(days=1) <= gap <= timedelta(days=31)
    _, items = read_csv(clean_dir, "contract_items")
    for i in items:
        c = by_id[i["ContractId"]]
        assert c["StartDate"] <= i["StartDate"] <= c["EndDate"]
        assert i["EndDate"] == "" or i["StartDate"] <= i["EndDate"]


def _events(folder: Path) -> pa.Table:
    return ds.dataset(folder / "product_events", format="parquet", partitioning="hive").to_table()


def test_events_schema_and_partitions(clean_dir: Path, contract: dict) -> None:
    files = sorted((clean_dir / "product_events").glob("dt=*/part-0.parquet"))
    assert len(files) == 183  # one file per day from 2025-04-01 to 2025-09-30
    import pyarrow.parquet as pq

    schema = pq.read_schema(files[0])
    assert schema.names == [c["name"] for c in contract["product_events"]["columns"]]
    assert schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert schema.field("isSystem").type == pa.bool_()
    for f in files[::20]:
        t = pq.read_table(f)
        dt = date.fromisoformat(f.parent.name.removeprefix("dt="))
        received = [ts.astimezone(JST).date() for ts in t.column("receivedAt").to_pylist()]
        assert set(received) <= {dt}


def test_events_reference_users_and_accounts(clean_dir: Path) -> None:
    t = _events(clean_dir).to_pandas()
    _, users = read_csv(clean_dir, "product_users")
    account_of = {u["user_id"]: u["account_id"] for u in users}
    assert t["messageId"].is_unique
    assert t["userId"].map(account_of).eq(t["groupId"]).all()
    assert (t["receivedAt"] >= t["timestamp"]).all()
    assert t.loc[t["isSystem"], "event"].isin(["Email Sent", "Background Job Finished"]).all()
    assert t.loc[~t["isSystem"], "sessionId"].notna().mean() == pytest.approx(0.6, abs=0.1)
    assert t["feature"].notna().eq(t["event"] == "Feature Used").all()
    late = (t["receivedAt"] - t["timestamp"]) > timedelta(days=1)
    assert 0.002 < late.mean() < 0.03


def test_no_activity_after_the_last_contract_ends(clean_dir: Path) -> None:
    _, contracts = read_csv(clean_dir, "contracts")
    last_end: dict[str, str] = {}
    for c in contracts:
        last_end[c["AccountId"]] = max(last_end.get(c["AccountId"], ""), c["EndDate"])
    t = _events(clean_dir).to_pandas()
    day = t["timestamp"].dt.tz_convert("Asia/Tokyo").dt.date.astype(str)
    # Sessions may run past midnight, so allow the following day.
    limit = t["groupId"].map(lambda g: str(date.fromisoformat(last_end[g]) + timedelta(days=1)))
    assert (day <= limit).all()
