"""The product side: app users, and the per-day activity model the event stream is drawn from.

The model is a few dense arrays (days x accounts, and per user) so that each day's events can be drawn
with vectorised numpy calls; the one-off milestones (setup, tutorial, first report, settings) are a small
precomputed schedule merged into the day they fall on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from .catalog import CORE, EV, PROP, SETTINGS_PROP
from .crm import Crm, Row
from .lifecycle import Account
from .names import NameSource
from .timeutil import DAY, at_jst

NEVER = np.iinfo(np.int32).max // 2
ONBOARDING_WINDOW_DAYS = 30
DECLINE_WEEKS = 8
DECLINE_FLOOR = 0.35  # activity share left on the cancellation day
AFTER_CANCEL = 0.30
FREE_PLAN_ACTIVITY = 0.40
MISSED_ONBOARDING_ACTIVITY = 0.60


@dataclass
class ProductModel:
    window_start: date
    n_days: int
    account_ids: list[str]
    user_ids: list[str]
    user_account: np.ndarray  # int32 per user
    user_created_day: np.ndarray  # int32 day index (0 = window start)
    user_deactivated_day: np.ndarray  # int32, NEVER if still active
    user_intensity: np.ndarray  # float32
    live: np.ndarray  # bool [day, account]: a contract item is running
    tier: np.ndarray  # int8 [day, account]: core tier rank, -1 if none
    activity: np.ndarray  # float32 [day, account]: expected-activity multiplier
    key_action_from: np.ndarray  # int32 per account: first day a random "Report Created" may happen
    milestones: np.ndarray  # structured: day, user, event, prop, second


MILESTONE_DTYPE = np.dtype([("day", "i4"), ("user", "i4"), ("event", "i1"), ("prop", "i1"), ("second", "f8")])


def _day_index(ws: date, d: date) -> int:
    return (d - ws).days


def user_rows(
    rng: np.random.Generator, names: NameSource, crm: Crm, ws: date, end: date
) -> tuple[list[Row], list[tuple[int, int, int, int]]]:
    """product_users rows, and per user (account, created day, deactivated day, is admin/champion)."""
    pool = [names.person()[2] for _ in range(300)]
    contacts: dict[int, dict[str, list[str]]] = {}
    emails = {p.id: p.email for p in crm.contacts}
    for p in crm.contacts:
        contacts.setdefault(p.account, {}).setdefault(p.role, []).append(p.id)
    rows: list[Row] = []
    meta: list[tuple[int, int, int, int]] = []
    for a in crm.accounts:
        if a.first_start is None:
            continue
        s = _day_index(ws, a.first_start)
        roles = contacts.get(a.idx, {})
        member_contacts = list(roles.get("user", []))
        n = max(2, round(a.seats * rng.uniform(0.35, 0.95)))
        last_live = _day_index(ws, min(max(c.end for c in a.contracts), end))
        for k in range(n):
            role = "admin" if k == 0 else "champion" if k == 1 else "member"
            if k == 0:
                created, contact = s - int(rng.integers(0, 4)), roles.get("admin", [None])[0]
            elif k == 1:
                created, contact = s + int(rng.integers(0, 6)), roles.get("champion", [None])[0]
            else:
                late_joiner = rng.random() < 0.15
                created = int(rng.integers(s, max(s + 1, last_live))) if late_joiner else s + int(rng.exponential(12))
                contact = member_contacts.pop() if member_contacts and rng.random() < 0.5 else None
            if created > _day_index(ws, end):
                continue
            deactivated = NEVER
            if k > 1 and rng.random() < 0.08:
                deactivated = created + int(rng.integers(20, 300))
            uid = f"usr_{len(rows) + 1:07d}"
            handle = pool[int(rng.integers(0, len(pool)))]
            email = emails[contact] if contact else f"{handle}{len(rows)}@{crm.domains[a.idx]}"
            created_at = _user_time(rng, ws, created)
            deactivated_at = _user_time(rng, ws, deactivated) if deactivated <= _day_index(ws, end) else None
            rows.append(
                {
                    "user_id": uid,
                    "account_id": a.id,
                    "contact_id": contact,
                    "email": email,
                    "role": role,
                    "created_at": created_at,
                    "deactivated_at": deactivated_at,
                }
            )
            meta.append((a.idx, created, deactivated if deactivated_at else NEVER, int(k < 2)))
    return rows, meta


def _user_time(rng: np.random.Generator, ws: date, day: int) -> datetime:
    return at_jst(ws + DAY * day, float(np.clip(rng.normal(11.5, 2.0), 7, 21)) * 3600)


def _account_matrices(accounts: list[Account], ws: date, n_days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(accounts)
    live = np.zeros((n_days, n), dtype=bool)
    tier = np.full((n_days, n), -1, dtype=np.int8)
    activity = np.zeros((n_days, n), dtype=np.float32)
    days = np.arange(n_days)
    for a in accounts:
        for c in a.contracts:
            for item in sorted(c.items, key=lambda i: i.start):
                lo = max(0, _day_index(ws, item.start))
                hi = min(n_days - 1, _day_index(ws, item.end or c.end))
                if hi < lo:
                    continue
                live[lo : hi + 1, a.idx] = True
                if item.plan.line == CORE:
                    tier[lo : hi + 1, a.idx] = item.plan.tier_rank
        if a.first_start is None:
            continue
        level = np.full(n_days, a.intensity, dtype=np.float32)
        if not a.onboarded:
            level *= MISSED_ONBOARDING_ACTIVITY
            s = _day_index(ws, a.first_start)
            level[max(0, s) : max(0, s + ONBOARDING_WINDOW_DAYS)] *= 0.6
        level[tier[:, a.idx] == 0] *= FREE_PLAN_ACTIVITY
        for ch in a.churns:
            anchor, stop = _day_index(ws, ch.anchor), _day_index(ws, ch.end)
            ramp_start = anchor - 7 * DECLINE_WEEKS
            in_ramp = (days >= ramp_start) & (days < anchor)
            level[in_ramp] *= 1 - (1 - DECLINE_FLOOR) * (days[in_ramp] - ramp_start) / (7 * DECLINE_WEEKS)
            level[(days >= anchor) & (days <= stop)] *= AFTER_CANCEL
        activity[:, a.idx] = np.where(live[:, a.idx], level, 0)
    return live, tier, activity


def _onboarding_schedule(
    rng: np.random.Generator, accounts: list[Account], ws: date, meta: list[tuple[int, int, int, int]]
) -> tuple[np.ndarray, list[tuple]]:
    """First day random key actions are allowed per account, and the one-off milestone events."""
    key_from = np.zeros(len(accounts), dtype=np.int32)
    users_of: dict[int, list[int]] = {}
    for u, (acct, *_rest) in enumerate(meta):
        users_of.setdefault(acct, []).append(u)
    rows: list[tuple] = []

    def add(day: int, user: int, event: str, prop: int = 0) -> None:
        rows.append((day, user, EV[event], prop, float(np.clip(rng.normal(11.0, 2.0), 7.5, 20.5)) * 3600))

    for a in accounts:
        users = users_of.get(a.idx, [])
        if a.first_start is None or not users:
            continue
        s = _day_index(ws, a.first_start)
        admin = users[0]
        champion = users[1] if len(users) > 1 else admin
        if a.onboarded:
            key_from[a.idx] = 0
            tutorial_from = s + 1
            add(s + int(rng.integers(0, 8)), admin, "Initial Setup Completed")
            add(s + int(rng.integers(1, 15)), admin, "Tutorial Finished", PROP['{"tutorial":"getting_started"}'])
            first_report = s + int(rng.integers(2, 26))
            # The champion may register after the first report is due; the admin makes it then.
            reporter = champion if meta[champion][1] <= first_report else admin
            add(first_report, reporter, "Report Created", PROP['{"report_type":"summary"}'])
        else:
            # Missed onboarding: no tutorial and no key action inside the 30-day window, some never.
            late = s + ONBOARDING_WINDOW_DAYS + 1 + int(rng.integers(0, 60))
            key_from[a.idx] = late if rng.random() < 0.6 else NEVER
            tutorial_from = late if rng.random() < 0.5 else NEVER
            add(s + int(rng.integers(3, 26)), admin, "Initial Setup Completed")
            if tutorial_from != NEVER:
                add(tutorial_from, admin, "Tutorial Finished", PROP['{"tutorial":"getting_started"}'])
            if key_from[a.idx] != NEVER:
                reporter = champion if meta[champion][1] <= key_from[a.idx] else admin
                add(int(key_from[a.idx]), reporter, "Report Created", PROP['{"report_type":"summary"}'])
        for u in users[2:]:
            if tutorial_from != NEVER and rng.random() < 0.55:
                add(
                    max(meta[u][1] + int(rng.integers(1, 21)), tutorial_from),
                    u,
                    "Tutorial Finished",
                    PROP['{"tutorial":"getting_started"}'],
                )
        settings = [("user_invite", 0.9, 0, 14), ("billing_contact", 0.7, 0, 30), ("slack_integration", 0.4, 5, 90)]
        if a.contracts and any(i.plan.tier == "enterprise" for i in a.contracts[0].items):
            settings.append(("sso", 0.7, 3, 30))
        for item, p, lo, hi in settings:
            if rng.random() < p:
                add(s + int(rng.integers(lo, hi + 1)), admin, "Settings Updated", SETTINGS_PROP[item])
    return key_from, rows


def build_product_model(
    rng: np.random.Generator, crm: Crm, meta: list[tuple[int, int, int, int]], user_ids: list[str], ws: date, end: date
) -> ProductModel:
    n_days = _day_index(ws, end) + 1
    live, tier, activity = _account_matrices(crm.accounts, ws, n_days)
    user_account = np.array([m[0] for m in meta], dtype=np.int32)
    created = np.array([m[1] for m in meta], dtype=np.int32)
    deactivated = np.array([m[2] for m in meta], dtype=np.int32)
    # Heavy-tailed per-user intensity (a few power users); admins and champions use the product more.
    intensity = rng.lognormal(-0.32, 0.8, len(meta)).astype(np.float32)
    intensity *= np.where(np.array([m[3] for m in meta], dtype=bool), 1.8, 1.0).astype(np.float32)
    key_from, schedule = _onboarding_schedule(rng, crm.accounts, ws, meta)
    ms = np.array(schedule, dtype=MILESTONE_DTYPE) if schedule else np.zeros(0, dtype=MILESTONE_DTYPE)
    if len(ms):
        acct = user_account[ms["user"]]
        day = ms["day"]
        ok = (day >= 0) & (day < n_days)
        ok &= (day >= created[ms["user"]]) & (day < deactivated[ms["user"]])
        ok[ok] &= live[day[ok], acct[ok]]
        ms = ms[ok]
        ms = ms[np.argsort(ms["day"], kind="stable")]
    return ProductModel(
        window_start=ws,
        n_days=n_days,
        account_ids=[a.id for a in crm.accounts],
        user_ids=user_ids,
        user_account=user_account,
        user_created_day=created,
        user_deactivated_day=deactivated,
        user_intensity=intensity,
        live=live,
        tier=tier,
        activity=activity,
        key_action_from=key_from,
        milestones=ms,
    )
