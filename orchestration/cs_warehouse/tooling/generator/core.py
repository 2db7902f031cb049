"""generate(): the whole landing folder for one seed, and its _manifest.json."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from cs_warehouse.contract import load_contract

from . import lifecycle as lc
from .activities import ENGAGED_CHURN_MULTIPLIER, ENGAGED_SHARE, activity_rows
from .catalog import EVENT_NAMES, FEATURE_MIN_TIER, ONBOARDING_MILESTONES, SETTINGS_ITEMS, TIERS
from .crm import build_crm
from .events import DAY_US, EPOCH, JST_OFFSET_US, EventStats, EventStream, write_events
from .lifecycle import Account, IdFactory
from .messy import CSV_RULES, EVENT_RULES_PER_MESSY_DAY, MESSY_ENCODINGS, CsvMess, EventMess
from .names import NameSource
from .product import (
    AFTER_CANCEL,
    DECLINE_FLOOR,
    DECLINE_WEEKS,
    ONBOARDING_WINDOW_DAYS,
    build_product_model,
    user_rows,
)
from .timeutil import DAY, window_start, yesterday_in_tokyo
from .voice import BURDEN_TICKET_MULTIPLIER, csat_rows, nps_rows, ticket_rows
from .writers import write_entity_csv

GENERATOR_VERSION = "1.0.0"
EVENT_FORMATS = ("parquet", "jsonl")
DEFAULT_EVENTS_PER_USER_DAY = 1.0
BASE_ENCODINGS = {"contacts": "cp932"}


def generate(
    out_dir: str | Path,
    accounts: int,
    months: int,
    seed: int,
    end_date: date | str | None = None,
    messy: bool = False,
    events_per_user_day: float = DEFAULT_EVENTS_PER_USER_DAY,
    event_format: str = "parquet",
) -> dict[str, Any]:
    """Write one deterministic landing folder; returns row counts, events written and elapsed seconds."""
    if accounts < 1 or months < 1 or events_per_user_day < 0:
        raise ValueError("accounts and months must be >= 1 and events_per_user_day >= 0")
    if event_format not in EVENT_FORMATS:
        raise ValueError(f"event_format must be one of {EVENT_FORMATS}")
    started = time.perf_counter()
    end = date.fromisoformat(end_date) if isinstance(end_date, str) else end_date or yesterday_in_tokyo()
    ws = window_start(end, months)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # The generator owns its event partitions: stale days from an earlier run must not survive.
    shutil.rmtree(out / "product_events", ignore_errors=True)

    contract = load_contract()
    names = NameSource(seed)
    ids = IdFactory()
    crm = build_crm(np.random.default_rng([seed, 1]), names, accounts, ws, end, ids)
    voice_rng = np.random.default_rng([seed, 2])
    tickets = ticket_rows(voice_rng, crm, end)
    tables = dict(crm.tables)
    tables["support_tickets"] = tickets
    tables["nps_responses"] = nps_rows(voice_rng, crm, ws, end)
    tables["csat_responses"] = csat_rows(voice_rng, crm, tickets, end)
    product_rng = np.random.default_rng([seed, 3])
    users, meta = user_rows(product_rng, names, crm, ws, end)
    tables["product_users"] = users
    tables["activities"], acted_realised = activity_rows(np.random.default_rng([seed, 5]), crm, ws, end, ids)
    model = build_product_model(product_rng, crm, meta, [u["user_id"] for u in users], ws, end)

    clean_counts = {name: len(rows) for name, rows in tables.items()}
    csv_mess: dict[str, dict[str, int]] = {}
    encodings = dict(BASE_ENCODINGS)
    if messy:
        csv_mess = CsvMess(contract, np.random.default_rng([seed, 4])).apply(tables)
        encodings.update(MESSY_ENCODINGS)
    written = {}
    for name in contract.entities:
        if name in tables:
            written[name] = write_entity_csv(
                out / f"{name}.csv", contract.entities[name], tables[name], encodings.get(name, "utf-8")
            )

    realised = _realised_effects(crm.accounts, tickets, end)
    realised["accounts_by_csm_engagement"] = acted_realised
    # The CSV rows are written; drop them so the event phase's memory is the activity model plus a few days.
    del crm, tables, tickets, users, meta

    export_end_us = ((end - EPOCH).days + 1) * DAY_US - JST_OFFSET_US
    event_mess = EventMess(len(model.user_ids), export_end_us) if messy else None
    stats = write_events(EventStream(model, seed, events_per_user_day), out, event_format, event_mess)

    manifest = _manifest(
        args={
            "accounts": accounts,
            "months": months,
            "seed": seed,
            "end_date": end.isoformat(),
            "messy": messy,
            "events_per_user_day": events_per_user_day,
            "event_format": event_format,
        },
        ws=ws,
        end=end,
        clean=clean_counts,
        written=written,
        stats=stats,
        encodings=encodings,
        realised=realised,
        csv_mess=csv_mess,
        event_mess=event_mess.counts if event_mess else {},
    )
    (out / "_manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    seconds = time.perf_counter() - started
    return {
        "out_dir": str(out),
        "window_start": ws.isoformat(),
        "end_date": end.isoformat(),
        "rows": written,
        "events_written": stats.written,
        "event_files": stats.files,
        "seconds": round(seconds, 3),
        "events_per_second": round(stats.written / seconds) if seconds > 0 else None,
    }


def _visible_churn(a: Account, end: date) -> bool:
    return any(ch.kind != "future" and ch.anchor <= end for ch in a.churns)


def _churn_share(accts: list[Account], end: date) -> dict[str, float | int]:
    n = len(accts)
    churned = sum(_visible_churn(a, end) for a in accts)
    return {"accounts": n, "churned": churned, "share": round(churned / n, 4) if n else None}


def _realised_effects(accounts: list[Account], tickets: list[dict], end: date) -> dict[str, Any]:
    """Churn shares in this sample by hidden trait: what the KPIs should roughly recover."""
    customers = [a for a in accounts if a.first_start is not None and not a.same_month_churn]
    settled = [a for a in customers if a.first_start <= end - DAY * ONBOARDING_WINDOW_DAYS]
    first_billing = {a.idx: a.contracts[0].billing for a in customers}
    ticket_count: dict[str, int] = {}
    for t in tickets:
        ticket_count[t["organization_id"]] = ticket_count.get(t["organization_id"], 0) + 1
    return {
        "missed_onboarding": {
            "onboarded": _churn_share([a for a in settled if a.onboarded], end),
            "missed": _churn_share([a for a in settled if not a.onboarded], end),
        },
        "billing_period_of_first_contract": {
            "annual": _churn_share([a for a in customers if first_billing[a.idx] == "annual"], end),
            "monthly": _churn_share([a for a in customers if first_billing[a.idx] == "monthly"], end),
        },
        "detractor_accounts": {
            "detractor": _churn_share([a for a in customers if a.detractor], end),
            "other": _churn_share([a for a in customers if not a.detractor], end),
        },
        "ticket_burden": {
            "high_burden": _churn_share([a for a in customers if a.burden], end),
            "other": _churn_share([a for a in customers if not a.burden], end),
            "mean_tickets_high_burden": _mean([ticket_count.get(a.id, 0) for a in customers if a.burden]),
            "mean_tickets_other": _mean([ticket_count.get(a.id, 0) for a in customers if not a.burden]),
        },
    }


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def planted_effects() -> list[dict[str, str]]:
    return [
        {
            "effect": "missed_onboarding_churns_more",
            "description": (
                f"{lc.SHARE_ONBOARDED:.0%} of accounts complete onboarding: 'Tutorial Finished' and 'Report Created' "
                f"within {ONBOARDING_WINDOW_DAYS} days of the first contract start. The others have neither event in "
                "that window (some get them 31-90 days later, some never) and are less active. Their churn hazard "
                f"(monthly) and non-renewal probability (annual) is x{lc.MISSED_ONBOARDING_MULTIPLIER:g}."
            ),
        },
        {
            "effect": "annual_churns_less_than_monthly",
            "description": (
                f"Monthly contracts: base churn hazard {lc.MONTHLY_BASE_HAZARD:.1%} per paid month. Annual contracts: "
                f"base non-renewal probability {lc.ANNUAL_BASE_NON_RENEWAL:.0%} per term end (about "
                f"{lc.ANNUAL_BASE_NON_RENEWAL / 12:.2%} a month). Both are multiplied by the trait multipliers."
            ),
        },
        {
            "effect": "usage_falls_before_cancellation",
            "description": (
                f"Expected activity ramps down linearly over the {DECLINE_WEEKS} weeks before the cancellation "
                f"request (CancellationDate__c; 30 days before EndDate for expired contracts) to {DECLINE_FLOOR:.0%} "
                f"of normal on the request day, stays at {AFTER_CANCEL:.0%} (of the ramp floor) until the paid "
                "period ends, and stops completely after it. Paid-to-free downgrades show the same ramp."
            ),
        },
        {
            "effect": "detractors_churn_more",
            "description": (
                f"{lc.SHARE_DETRACTOR:.0%} of accounts are unhappy: 80% of their NPS answers score 1-6 (others 7-8), "
                "versus 8% detractor answers elsewhere; their CSAT is lower too. Churn hazard "
                f"x{lc.DETRACTOR_MULTIPLIER:g}."
            ),
        },
        {
            "effect": "acted_risk_churns_less",
            "description": (
                f"The CSM is engaged with {ENGAGED_SHARE:.0%} of accounts: keeps the touch cadence (skips 10%), "
                "checks in (a call or an e-mail) every 4-10 days and acts on every risk episode (a call after a "
                "median 30 hours, then a touch every 3-7 days while it lasts). Disengaged: skips 45% of touches "
                "and leaves risk episodes untouched (30% get a late call). "
                f"An engaged account's churn probability is x{ENGAGED_CHURN_MULTIPLIER:g} that of a disengaged one "
                "(activities export)."
            ),
        },
        {
            "effect": "high_ticket_burden_churns_more",
            "description": (
                f"{lc.SHARE_TICKET_BURDEN:.0%} of accounts open x{BURDEN_TICKET_MULTIPLIER:g} more tickets with more "
                f"high/urgent priorities and escalations. Churn hazard x{lc.TICKET_BURDEN_MULTIPLIER:g}."
            ),
        },
    ]


def _manifest(
    *,
    args: dict,
    ws: date,
    end: date,
    clean: dict[str, int],
    written: dict[str, int],
    stats: EventStats,
    encodings: dict[str, str],
    realised: dict[str, Any],
    csv_mess: dict[str, dict[str, int]],
    event_mess: dict[str, int],
) -> dict[str, Any]:
    return {
        "generator": "cs_warehouse.tooling.generator",
        "generator_version": GENERATOR_VERSION,
        "arguments": args,
        "seed": args["seed"],
        "window_start": ws.isoformat(),
        "end_date": end.isoformat(),
        "reporting_timezone": "Asia/Tokyo",
        "row_counts": written,
        "row_counts_clean": clean,
        "encodings": {f"{name}.csv": encodings.get(name, "utf-8") for name in written},
        "product_events": {
            "format": args["event_format"],
            "partitioning": "dt = date of receivedAt in Asia/Tokyo (arrival day); late events sit in a later "
            "partition than their timestamp; events received after end_date are not written",
            **asdict(stats),
        },
        "planted_effects": planted_effects(),
        "realised_in_this_sample": realised,
        "reference": {
            "tiers": list(TIERS),
            "feature_min_tier_rank": FEATURE_MIN_TIER,
            "event_names": list(EVENT_NAMES),
            "system_events": ["Email Sent", "Background Job Finished"],
            "onboarding_milestones": list(ONBOARDING_MILESTONES),
            "key_action_event": "Report Created",
            "settings_items": list(SETTINGS_ITEMS),
        },
        "messy": {
            "enabled": args["messy"],
            "csv_rules_per_entity": CSV_RULES if args["messy"] else {},
            "csv": csv_mess,
            "csv_rows_added": {name: sum(c.values()) for name, c in csv_mess.items()},
            "event_rules_per_messy_day": EVENT_RULES_PER_MESSY_DAY if args["messy"] else {},
            "events": event_mess,
        },
    }
