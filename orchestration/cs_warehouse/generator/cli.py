"""Command line: python -m cs_warehouse.generator --out DIR --accounts N --months M --seed S ..."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from .core import DEFAULT_EVENTS_PER_USER_DAY, EVENT_FORMATS, generate


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m cs_warehouse.generator",
        description="Write a deterministic synthetic landing folder (CRM/support/survey CSVs, product events).",
    )
    p.add_argument("--out", required=True, help="landing folder to write: missing or empty unless --force")
    p.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty --out folder: the files the generator writes are replaced, "
        "product_events/ as a whole, any other file is left in place",
    )
    p.add_argument("--accounts", type=int, required=True, help="number of CRM accounts (incl. ~10%% prospects)")
    p.add_argument("--months", type=int, required=True, help="months of history ending at --end-date")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=None,
        help="last day of data, YYYY-MM-DD (default: yesterday in Asia/Tokyo)",
    )
    p.add_argument("--messy", action="store_true", help="add a known number of broken rows per rule")
    p.add_argument(
        "--events-per-user-day",
        type=float,
        default=DEFAULT_EVENTS_PER_USER_DAY,
        help="mean user events per live user on a full-activity weekday",
    )
    p.add_argument("--event-format", choices=EVENT_FORMATS, default="parquet")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Path(args.out)
    if out.is_dir() and any(out.iterdir()) and not args.force:
        print(
            f"cs_warehouse.generator: {out} is not empty; nothing written. Generate into a missing or empty "
            "folder (`make data CSW_LANDING_DIR=...`), or overwrite with --force (`make data FORCE=1`): the "
            "generator's files are replaced, other files stay.",
            file=sys.stderr,
        )
        return 2
    summary = generate(
        args.out,
        accounts=args.accounts,
        months=args.months,
        seed=args.seed,
        end_date=args.end_date,
        messy=args.messy,
        events_per_user_day=args.events_per_user_day,
        event_format=args.event_format,
    )
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0
