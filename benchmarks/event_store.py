"""Where the accepted product events are stored: a DuckDB table or day-partitioned Parquet files.

Loads one generated landing folder twice into fresh warehouses - events inserted into the DuckDB table
`raw.product_events`, and events written as Parquet files per day with `raw.product_events` a view over
them - and times the event load and two typical downstream scans over the stored events (events per account
per day; a sessionisation-like window over each user's events). Prints one JSON object.

    PYTHONPATH=orchestration .venv/bin/python benchmarks/event_store.py /tmp/bench/data/1M/landing
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from cs_warehouse.contract import load_contract
from cs_warehouse.ingestion import load

SCANS = {
    "events_per_account_day": """
        select count(*) from (
            select group_id, _partition_date, count(*) as n from raw.product_events group by all
        )""",
    "sessionisation_window": """
        select count(*) filter (where gap is null or gap > interval 30 minute) from (
            select "timestamp" - lag("timestamp") over (partition by user_id order by "timestamp") as gap
            from raw.product_events where not is_system
        )""",
}


class TableEventLoader(load.Loader):
    """Today's loader, without the orphan re-check (skipped in both variants: it is not a write of events)."""

    def _recheck_references(self, entity):
        return []


class ParquetEventLoader(TableEventLoader):
    """The accepted events of each batch written as Parquet, one file per day (`<dir>/batchN/dt=YYYY-MM-DD/`),
    `raw.product_events` a view over the files; quarantine and parked orphans as the table loader writes them.
    Measures the write and the scans only (no replacement of reloaded files)."""

    def __init__(self, con, landing, contract, store_dir: Path):
        super().__init__(con, landing, contract)
        self.store_dir = store_dir
        self.batch = 0
        con.execute("drop table raw.product_events")
        con.execute("create view raw.product_events as from raw._orphans_product_events limit 0")

    def _write_batch(self, entity):
        con = self.con
        cols = ", ".join(load.quote_ident(c.raw_name) for c in entity.columns)
        load_id = load.sql_literal(self.load_id)
        self.batch += 1
        target = self.store_dir / f"batch{self.batch}"
        self.store_dir.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"""copy (select {cols}, _file as _source_file, _line as _source_line, {load_id} as _load_id,
                       _partition_date, _partition_date as dt
                from _checked where _violations is null)
            to {load.sql_literal(str(target))} (format parquet, partition_by (dt), filename_pattern 'part_{{i}}')"""
        )
        files = sorted(str(p) for p in self.store_dir.rglob("*.parquet"))
        con.execute(
            "create or replace view raw.product_events as select * exclude (dt) from read_parquet("
            + load.sql_literal_list(files)
            + ", hive_partitioning = true)"
        )
        con.execute(
            f"""insert into {load.orphans_table(entity)} ({cols}, _source_file, _source_line, _load_id, _partition_date)
            select {cols}, _file, _line, {load_id}, _partition_date
            from _checked where _violations like '{load.ORPHAN_RULE}:%'"""
        )
        con.execute(
            f"""insert into raw._quarantine
            select {load_id}, {load.sql_literal(entity.name)}, _file, _line,
                   regexp_extract(_violations, '^([a-z_]+):', 1), regexp_extract(_violations, '^[a-z_]+:([^ ;]+)', 1),
                   _violations, coalesce(_raw, ''), now()
            from _checked where _violations is not null
            union all
            select {load_id}, {load.sql_literal(entity.name)}, _file, _line, rule, null, rule || ': ' || detail, raw,
                   now()
            from _rejected"""
        )


def _load(landing: Path, work: Path, store: str) -> dict:
    database = work / "warehouse.duckdb"
    contract = load_contract()
    events = contract.entities["product_events"]
    snapshots = [e.name for e in contract.load_order() if not e.partitioned_by_day]
    load.load_landing(database, landing, entities=snapshots)
    with duckdb.connect(str(database)) as con:
        if store == "parquet":
            loader = ParquetEventLoader(con, landing, contract, work / "events")
        else:
            loader = TableEventLoader(con, landing, contract)
        started = time.perf_counter()
        results = loader.load_entity(events)
        seconds = time.perf_counter() - started
        assert all(r.reconciles for r in results)
        timings = {}
        for name, sql in SCANS.items():
            runs = []
            for _ in range(3):
                t = time.perf_counter()
                con.execute(sql).fetchall()
                runs.append(time.perf_counter() - t)
            timings[name] = round(statistics.median(runs), 3)
        rows = con.execute("select count(*) from raw.product_events").fetchone()[0]
    size = sum(p.stat().st_size for p in work.rglob("*") if p.is_file())
    return {"load_seconds": round(seconds, 2), "rows": rows, "scan_seconds": timings, "bytes_on_disk": size}


def main(landing: Path) -> None:
    out = {}
    for store in ("table", "parquet"):
        work = Path(tempfile.mkdtemp(prefix=f"evstore_{store}_"))
        try:
            out[store] = _load(landing, work, store)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"landing": str(landing), **out}, indent=2))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
