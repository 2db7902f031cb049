"""The account-day health models built incrementally equal a full refresh.

On a copy of the session's standard build (tests/conftest.py): the health models are built as of 20 days
before the end of the data; then a later load changes the events of one account-day five months back (a
backfill, far outside the incremental lookback), and the models run incrementally as of the last day (the 20
new days and the backfilled day's trailing windows). The tables then equal a full refresh, and a day that
neither the lookback nor the backfill reaches was not rewritten.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import DBT, Build

SELECT = ["path:models/intermediate/health", "mart_health_score_daily"]
TABLES = [
    "intermediate.int_health_account_days",
    "intermediate.int_health_usage_daily",
    "intermediate.int_health_feature_breadth_daily",
    "intermediate.int_health_support_daily",
    "intermediate.int_health_nps_daily",
    "intermediate.int_health_key_users_daily",
    "intermediate.int_health_lifecycle_daily",
    "intermediate.int_health_signals_daily",
    "marts.mart_health_score_daily",
]
BACKFILLED_DAY = dt.date(2026, 4, 15)
ADDED_EVENTS = 7
MARK = 1000


def _snapshot(db: Path) -> dict[str, pd.DataFrame]:
    """Every health table, sorted, without the bookkeeping columns (`_usage_load_id` is the load each run saw)."""
    with duckdb.connect(str(db), read_only=True) as con:
        out = {}
        for table in TABLES:
            frame = con.execute(f"select * from {table}").df()
            frame = frame[[c for c in frame.columns if not c.startswith("_")]]
            out[table] = frame.sort_values(["account_id", "score_date"]).reset_index(drop=True)
        return out


def _events_7d(db: Path, account_id: str, day: dt.date) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select active_events_7d from intermediate.int_health_signals_daily"
            " where account_id = ? and score_date = ?",
            [account_id, day],
        ).fetchone()[0]


@pytest.fixture(scope="module")
def runs(standard_build: Build, tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("health_incremental")
    db = standard_build.copy_warehouse(tmp)
    env = {**standard_build.env, "CSW_DUCKDB_PATH": str(db), "DBT_TARGET_PATH": str(tmp / "target"),
           "DBT_LOG_PATH": str(tmp / "logs")}  # fmt: skip
    build = Build(tmp, standard_build.dataset, env)
    end = dt.date.fromisoformat(standard_build.as_of)

    def dbt_run(as_of: dt.date, *extra: str) -> None:
        build.run(DBT, "run", "--quiet", "--select", *SELECT, "--vars", f"{{as_of_date: '{as_of}'}}", *extra)

    # the night 20 days before the end
    dbt_run(end - dt.timedelta(days=20), "--full-refresh")
    with duckdb.connect(str(db)) as con:
        account_id, user_id = con.execute(
            "select u.account_id, u.user_id from intermediate.int_usage_user_daily as u"
            " inner join intermediate.int_health_signals_daily as s"
            " on u.account_id = s.account_id and u.activity_date = s.score_date"
            " where u.activity_date = ? order by u.account_id, u.user_id limit 1",
            [BACKFILLED_DAY],
        ).fetchone()
        first_day = con.execute("select min(score_date) from intermediate.int_health_signals_daily").fetchone()[0]
        # a later load brings more events of that user-day
        con.execute(
            "update intermediate.int_usage_user_daily set active_event_count = active_event_count + ?,"
            " _last_session_load_id = _last_session_load_id || '-backfill' where user_id = ? and activity_date = ?",
            [ADDED_EVENTS, user_id, BACKFILLED_DAY],
        )
        # a day that no recomputation reaches keeps this mark
        con.execute(
            "update intermediate.int_health_signals_daily set key_users = key_users + ? where score_date = ?",
            [MARK, first_day],
        )
    before = _events_7d(db, account_id, BACKFILLED_DAY)

    dbt_run(end)
    after = _events_7d(db, account_id, BACKFILLED_DAY)
    with duckdb.connect(str(db)) as con:
        marked = con.execute(
            "select min(key_users) from intermediate.int_health_signals_daily where score_date = ?", [first_day]
        ).fetchone()[0]
        con.execute(
            "update intermediate.int_health_signals_daily set key_users = key_users - ? where score_date = ?",
            [MARK, first_day],
        )
    incremental = _snapshot(db)
    dbt_run(end, "--full-refresh")
    return {"inc": incremental, "full": _snapshot(db), "before": before, "after": after, "marked": marked,
            "end": end}  # fmt: skip


@pytest.mark.parametrize("table", TABLES)
def test_incremental_equals_full_refresh(runs: dict, table: str) -> None:
    inc, full = runs["inc"][table], runs["full"][table]
    assert len(inc) > 0
    assert pd.Timestamp(inc["score_date"].max()) == pd.Timestamp(runs["end"])
    pd.testing.assert_frame_equal(inc, full, check_exact=True)


def test_the_backfilled_day_was_recomputed(runs: dict) -> None:
    assert runs["after"] == runs["before"] + ADDED_EVENTS


def test_days_out_of_reach_were_not_rewritten(runs: dict) -> None:
    assert runs["marked"] >= MARK
