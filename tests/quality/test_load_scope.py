"""Checks over the event history read the new loads once earlier loads passed, and the whole history when due."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cs_warehouse.contract import load_contract
from cs_warehouse.defs.quality import CRITICAL_CHECK, build_layer_check
from cs_warehouse.ingestion.load import load_landing
from cs_warehouse.quality import scope
from cs_warehouse.quality.suites.raw import raw_suite
from cs_warehouse.settings import Settings
from cs_warehouse.warehouse import WarehouseResource
from tests.landing_factory import event, write_events, write_minimal_landing

EVENTS = dg.AssetKey(["raw", "product_events"])
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _night(settings: Settings) -> dg.AssetCheckEvaluation:
    @dg.asset(key=EVENTS)
    def product_events() -> None:
        """Stands in for the loader: the table already exists."""

    suite = raw_suite(load_contract().entities["product_events"])
    check = build_layer_check("gx_raw__product_events", [suite])
    resources = {"warehouse": WarehouseResource.from_settings(settings)}
    result = dg.materialize([product_events, check], raise_on_error=False, selection=[EVENTS], resources=resources)
    [critical] = [e for e in result.get_asset_check_evaluations() if e.check_name == CRITICAL_CHECK]
    return critical


def _load_day(landing: Path, db: Path, day: str, message_id: str) -> str:
    time.sleep(1.1)  # load ids begin with their UTC second: a second apart, they sort in load order
    write_events(landing, day, [event(message_id, dt.datetime.fromisoformat(f"{day}T03:00:00+00:00"))])
    load_landing(db, landing, entities=["product_events"])
    return _load_id(db, message_id)


def _failing_parts(critical: dg.AssetCheckEvaluation) -> dict[str, dict]:
    return {f["part"]: f for f in critical.metadata["failures"].value}


def test_nights_check_new_loads_and_the_whole_history_when_due(tmp_path: Path, settings_for, monkeypatch) -> None:
    landing = write_minimal_landing(tmp_path / "landing")
    db = tmp_path / "wh.duckdb"
    load_landing(db, landing)
    settings = settings_for(db)

    night1 = _night(settings)
    assert night1.passed and night1.metadata["rows_checked"].value == "whole history"

    # A row of an old load is broken behind the loader's back; a clean new day arrives.
    with duckdb.connect(str(db)) as con:
        con.execute("update raw.product_events set user_id = null where message_id = 'E1'")
    _load_day(landing, db, "2024-03-03", "E3")
    night2 = _night(settings)
    first_load = night2.metadata["rows_checked"].value.removeprefix("loads after ")
    assert night2.passed and first_load < _load_id(db, "E3")

    # A new load brings a key that an old load already holds (written around the loader's own check).
    fourth = _load_day(landing, db, "2024-03-04", "E4")
    with duckdb.connect(str(db)) as con:
        con.execute("update raw.product_events set message_id = 'E2' where message_id = 'E4'")
    night3 = _night(settings)
    assert not night3.passed
    assert night3.metadata["rows_checked"].value == f"loads after {_load_id(db, 'E3')}"
    failures = _failing_parts(night3)
    assert set(failures) == {"duplicate_keys_new_loads"}
    assert [row["message_id"] for row in failures["duplicate_keys_new_loads"]["sample"]] == ["E2"]

    # A failed night does not move the watermark: the same loads are read again.
    night4 = _night(settings)
    assert not night4.passed and night4.metadata["rows_checked"].value == night3.metadata["rows_checked"].value
    assert fourth > _load_id(db, "E3")

    # The periodic (or forced) full check reads the old loads too and finds the broken row.
    monkeypatch.setenv("CSW_FULL_CHECKS", "1")
    full = _night(settings)
    assert full.metadata["rows_checked"].value == "whole history"
    failures = _failing_parts(full)
    assert failures["table"]["column"] == "user_id" and failures["table"]["unexpected_count"] == 1
    assert failures["duplicate_keys"]["unexpected_count"] == 1


def _load_id(db: Path, message_id: str) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select _load_id from raw.product_events where message_id = ?", [message_id]).fetchone()[0]


def test_scope_decisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSW_FULL_CHECKS", raising=False)
    monkeypatch.setenv("CSW_FULL_CHECK_DAYS", "7")
    history = tmp_path / "history"
    assert scope.decide(history, "c", None, T0).reason == "no load recorded"

    first = scope.decide(history, "c", "20260301T000000-aaaaaaaa", T0)
    assert first.full and first.reason == "first check"
    scope.record_pass(history, "c", first, T0)

    # the next night reads the loads after the one that passed; its pass keeps the full-check clock
    later = T0 + dt.timedelta(days=3)
    nightly = scope.decide(history, "c", "20260304T000000-bbbbbbbb", later)
    assert nightly.after_load == "20260301T000000-aaaaaaaa"
    scope.record_pass(history, "c", nightly, later)
    again = scope.decide(history, "c", "20260305T000000-cccccccc", later + dt.timedelta(days=1))
    assert again.after_load == "20260304T000000-bbbbbbbb"

    # seven days after the last full check, the whole history again
    assert scope.decide(history, "c", "20260308T000000-dddddddd", T0 + dt.timedelta(days=7)).full
    # a warehouse older than the watermark (rebuilt, restored) is checked whole
    assert scope.decide(history, "c", "20260302T000000-eeeeeeee", later).full
    monkeypatch.setenv("CSW_FULL_CHECKS", "1")
    assert scope.decide(history, "c", "20260305T000000-cccccccc", later).reason == "CSW_FULL_CHECKS is set"


def test_key_watermark_moves_only_when_every_key_test_ran_and_passed() -> None:
    from cs_warehouse.dbt_project import dbt_project
    from cs_warehouse.defs.dbt import SCOPED_TESTS, key_tests_passed

    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    ids = sorted(
        uid for uid, node in manifest["nodes"].items() if (node.get("test_metadata") or {}).get("name") in SCOPED_TESTS
    )
    nodes = [manifest["nodes"][uid] for uid in ids]
    tested = sorted((node["test_metadata"]["name"], node["attached_node"].split(".")[-1]) for node in nodes)
    usage = ["active_users_daily", "event_rollup", "feature_daily", "session_days", "user_daily", "user_event_firsts"]
    assert tested == [
        ("unique_key_by_load", "stg_product__events"),
        *(("usage_rows_by_load", f"int_usage_{name}") for name in usage),
    ]
    assert key_tests_passed({"results": [{"unique_id": uid, "status": "pass"} for uid in ids]})
    assert not key_tests_passed(
        {"results": [{"unique_id": ids[0], "status": "pass"}, {"unique_id": ids[1], "status": "fail"}]}
    )
    assert not key_tests_passed({"results": [{"unique_id": ids[0], "status": "pass"}]})
    assert not key_tests_passed({"results": [{"unique_id": "test.cs_warehouse.another", "status": "pass"}]})
