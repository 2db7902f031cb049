"""Child process of the benchmark: the physical-limit baseline, one plain scan-and-aggregate of the raw events.

Events per account per reporting-zone day over raw.product_events, with DuckDB's defaults: no model, no test,
no write, only the read and the hash aggregate that every usage KPI needs at least once.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb

QUERY = """
select group_id as account_id, cast(timezone('Asia/Tokyo', "timestamp") as date) as activity_date, count(*) as events
from raw.product_events
group by all
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    with duckdb.connect(str(args.database), read_only=True) as con:
        threads = con.execute("select current_setting('threads')").fetchone()[0]
        events = con.execute("select count(*) from raw.product_events").fetchone()[0]
        start = time.perf_counter()
        rows = con.execute(QUERY).fetchall()
        seconds = time.perf_counter() - start
    body = {"query_seconds": round(seconds, 3), "groups": len(rows), "raw_events": events, "threads": threads}
    args.out.write_text(json.dumps(body, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
