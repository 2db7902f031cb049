"""The peer baseline: the usage KPIs as a team without this project would compute them, one pandas script.

Reads every landing event file, drops system events, and writes two CSVs:
- dau_mau.csv: per account and Asia/Tokyo day, DAU (distinct users that day), MAU (distinct users in the
  trailing 30 days, the day included) and DAU/MAU;
- sessions_monthly.csv: per account and month, sessions by the 30-minute inactivity rule (per user, a gap
  over 30 minutes starts a new session), counted in the month the session started.

No deduplication, quarantine, late-event handling, SDK session ids or tests: the straightforward version, kept
deliberately plain, that cs_warehouse.tooling.bench times against the project's `dbt build` of the same KPIs.

    python benchmarks/peer_pandas_usage.py --landing DIR --out DIR
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

COLUMNS = ["userId", "groupId", "isSystem", "timestamp"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    files = sorted((args.landing / "product_events").glob("dt=*/*.parquet"))
    events = pd.concat([pd.read_parquet(f, columns=COLUMNS) for f in files], ignore_index=True)
    events = events[~events["isSystem"]].drop(columns="isSystem")
    events["local"] = events["timestamp"].dt.tz_convert("Asia/Tokyo")
    events["day"] = events["local"].dt.normalize().dt.tz_localize(None)

    # DAU and trailing-30-day MAU per account-day: each user-day counts on the 30 days whose window holds it.
    user_days = events[["groupId", "userId", "day"]].drop_duplicates()
    dau = user_days.groupby(["groupId", "day"]).size().rename("dau")
    spread = pd.concat(
        [user_days.assign(day=user_days["day"] + pd.Timedelta(days=offset)) for offset in range(30)],
        ignore_index=True,
    )
    last_day = user_days["day"].max()
    spread = spread[spread["day"] <= last_day]
    mau = spread.groupby(["groupId", "day"])["userId"].nunique().rename("mau")
    dau_mau = pd.concat([dau, mau], axis=1).fillna({"dau": 0})
    dau_mau["dau_mau"] = dau_mau["dau"] / dau_mau["mau"]
    dau_mau.to_csv(args.out / "dau_mau.csv")

    # Sessions: sort per user, a new session after more than 30 minutes without an event.
    events = events.sort_values(["userId", "timestamp"])
    gap = events.groupby("userId")["timestamp"].diff()
    events["new_session"] = gap.isna() | (gap > pd.Timedelta(minutes=30))
    starts = events[events["new_session"]]
    month = starts["local"].dt.tz_localize(None).dt.to_period("M")
    sessions = starts.groupby([starts["groupId"], month]).size().rename("sessions")
    sessions.to_csv(args.out / "sessions_monthly.csv")

    summary = {
        "events": len(events),
        "account_days": len(dau_mau),
        "account_months": len(sessions),
        "sessions": int(sessions.sum()),
        "seconds": round(time.perf_counter() - start, 3),
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
