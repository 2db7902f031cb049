"""The CRM activity log: CSM touches by tier cadence, and CSM responses to accounts at risk.

Routine touches follow the touch model of the account's tier (estimated here from its MRR at the start of
the month, as the warehouse's ARR basis would assign it): high touch gets a monthly meeting and a QBR each
quarter, low touch webinars and some calls, tech touch e-mails and in-app messages. CSMs skip a share of
them.

Risk episodes come from the hidden lifecycle: every churn decision has one covering its usage decline (the 8
weeks before the cancellation request up to the last paid day), and accounts with risky traits get scares
that do not end in churn. Each account's CSM is engaged with it or not. An engaged CSM keeps the routine
cadence (skipping a few touches), checks in every few days, and acts on every risk episode: a call within
hours or days, then a touch every few days while it lasts. A disengaged CSM skips many routine touches and
leaves risk episodes alone (no touch while they last, sometimes a late call after the follow-up window).
The planted effect: an engaged account's churn probability is ENGAGED_CHURN_MULTIPLIER times a disengaged
one's. It is strong because the warehouse sees it only through its own alert rules, which also fire on
accounts without latent risk. Churn is decided earlier (lifecycle.py), so engagement is drawn from its
distribution given whether the account churns in the window, which gives the same joint distribution of
(engaged, churned) as drawing engagement first with probability ENGAGED_SHARE and churn after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .catalog import JPY_PER_USD
from .crm import Crm, Row
from .lifecycle import Account, IdFactory, monthly_value
from .product import DECLINE_WEEKS
from .timeutil import DAY, add_months, at_jst

ENGAGED_SHARE = 0.6  # accounts whose CSM is engaged with them
ENGAGED_CHURN_MULTIPLIER = 0.15  # churn probability of an engaged account / of a disengaged one
SCARE_MONTHLY_RATE = 0.04  # risk episodes without churn per paying month, times the account's churn multiplier
# Tier estimate from MRR at the start of the month (JPY): the seed's ARR thresholds / 12.
HIGH_TOUCH_MRR = 500_000
LOW_TOUCH_MRR = 100_000
SKIP_SHARE = {True: 0.10, False: 0.45}  # routine touches a CSM does not get to, engaged or not
LATE_CALL_SHARE = 0.3  # missed risk episodes that get a call after the follow-up window
WATCH_EVERY_DAYS = (4, 11)  # an engaged CSM checks in on the account this often (days)
CANCELLED_SHARE = 0.04  # meetings and calls cancelled by either side

_SUBJECT = {
    "meeting": "{who}様 定例ミーティング",
    "qbr": "{who}様 四半期ビジネスレビュー (QBR)",
    "call": "{who}様 利用状況の確認のお電話",
    "email": "{who}様 活用のご案内メール",
    "webinar": "活用ウェビナー参加 ({who}様)",
    "in_app_message": "アプリ内メッセージ: 新機能のご案内",
    "onboarding_session": "{who}様 オンボーディングセッション",
}
_RISK_SUBJECT = {"call": "{who}様 ご利用状況についてのお電話", "meeting": "{who}様 改善プランのお打ち合わせ"}
_DURATION = {
    "meeting": (30, 61),
    "qbr": (60, 121),
    "call": (10, 31),
    "webinar": (45, 61),
    "onboarding_session": (60, 91),
}


@dataclass
class Episode:
    account: Account
    onset: date
    until: date  # last day of the risk window
    churns: bool
    acted: bool = False


def _paying_mrr_jpy(a: Account, day: date) -> float:
    total = 0.0
    for c in a.contracts:
        if c.start <= day <= c.end:
            live = [i for i in c.items if i.start <= day and (i.end is None or i.end >= day)]
            value = sum(monthly_value(i, c.billing) for i in live)
            total += value * JPY_PER_USD if c.currency == "USD" else value
    return total


def _tier(mrr: float) -> str:
    return "high_touch" if mrr >= HIGH_TOUCH_MRR else "low_touch" if mrr >= LOW_TOUCH_MRR else "tech_touch"


class _Owners:
    """The CSM owning each account on a day, from the assignment history."""

    def __init__(self, assignments: list[Row]) -> None:
        self._spans: dict[str, list[tuple[date, date | None, str]]] = {}
        for r in assignments:
            self._spans.setdefault(r["AccountId"], []).append((r["StartDate"], r["EndDate"], r["UserId"]))

    def on(self, account_id: str, day: date) -> str:
        spans = self._spans[account_id]
        for start, end, user in spans:
            if start <= day and (end is None or day < end):
                return user
        return spans[0][2] if day < spans[0][0] else spans[-1][2]


def _episodes(rng: np.random.Generator, accounts: list[Account], ws: date, end: date) -> list[Episode]:
    out: list[Episode] = []
    for a in accounts:
        for ch in a.churns:
            if ch.kind == "same_month":
                continue
            # the whole usage decline, up to the last paid day
            onset = max(ch.contract.start, ch.anchor - DAY * DECLINE_WEEKS * 7)
            if ws <= onset <= end:
                out.append(Episode(a, onset, min(end, ch.end), churns=True))
        for c in a.contracts:
            k = 0
            while (m := add_months(c.start, k)) <= min(c.end, end):
                if m >= ws and rng.random() < SCARE_MONTHLY_RATE * a.churn_multiplier:
                    onset = m + DAY * int(rng.integers(0, 28))
                    if onset <= min(c.end, end):
                        out.append(Episode(a, onset, min(end, onset + DAY * int(rng.integers(30, 61))), churns=False))
                k += 1
    return out


def _draw_engaged(rng: np.random.Generator, accounts: list[Account], churners: set[int]) -> dict[int, bool]:
    """engaged | churned, so that P(engaged) = q and P(churn | engaged) = m * P(churn | disengaged)."""
    if not accounts:
        return {}
    q, m = ENGAGED_SHARE, ENGAGED_CHURN_MULTIPLIER
    share = sum(a.idx in churners for a in accounts) / len(accounts)
    h = min(0.95, share / (1 - q + q * m))  # churn probability of a disengaged account
    p_churned = q * m / (q * m + 1 - q)
    p_stayed = q * (1 - h * m) / (q * (1 - h * m) + (1 - q) * (1 - h))
    return {a.idx: bool(rng.random() < (p_churned if a.idx in churners else p_stayed)) for a in accounts}


class _Writer:
    def __init__(self, rng: np.random.Generator, crm: Crm, ids: IdFactory, end: date) -> None:
        self.rng = rng
        self.ids = ids
        self.end = end
        self.owners = _Owners(crm.tables["account_csm_assignments"])
        self.contacts: dict[int, list] = {}
        for p in crm.contacts:
            if p.role in ("admin", "champion", "executive"):
                self.contacts.setdefault(p.account, []).append(p)
        self.rows: list[Row] = []

    def add(self, a: Account, day: date, kind: str, risk: bool = False, hour: float | None = None) -> None:
        rng = self.rng
        people = self.contacts.get(a.idx) or []
        person = people[int(rng.integers(0, len(people)))] if people and kind not in ("in_app_message",) else None
        when = at_jst(day, (hour if hour is not None else rng.uniform(9.5, 18.5)) * 3600)
        status = "completed"
        if day > self.end:
            status = "planned"
        elif kind in ("meeting", "call", "qbr") and rng.random() < CANCELLED_SHARE:
            status = "cancelled"
        lo_hi = _DURATION.get(kind)
        subject = (_RISK_SUBJECT.get(kind) if risk else None) or _SUBJECT[kind]
        self.rows.append(
            {
                "Id": self.ids.next("00T"),
                "AccountId": a.id,
                "WhoId": person.id if person and kind != "webinar" else None,
                "OwnerId": self.owners.on(a.id, min(day, self.end)),
                "Type": kind,
                "Status": status,
                "ActivityDateTime": when,
                "DurationMinutes": int(rng.integers(*lo_hi)) if lo_hi and status == "completed" else None,
                "RelatedAlertId__c": None,
                "Subject": subject.format(who=person.last if person else "ご担当者"),
            }
        )


def _routine(w: _Writer, a: Account, ws: date, end: date, quiet: list[tuple[date, date]], engaged: bool) -> None:
    rng = w.rng
    month = date(ws.year, ws.month, 1)
    horizon = end + DAY * 30  # next month's meetings are already in the calendar

    def day_in(lo: date, hi: date) -> date | None:
        days = [lo + DAY * i for i in range((hi - lo).days + 1)]
        days = [d for d in days if d.weekday() < 5 and not any(q0 <= d <= q1 for q0, q1 in quiet)]
        return days[int(rng.integers(0, len(days)))] if days else None

    while month <= horizon:
        nxt = add_months(month, 1)
        mrr = _paying_mrr_jpy(a, month if month <= end else end)
        if mrr > 0 and _paying_mrr_jpy(a, min(nxt - DAY, end)) > 0:
            tier = _tier(mrr)
            lo, hi = month, nxt - DAY
            if tier == "high_touch":
                plan = ["meeting"] + (["qbr"] if month.month % 3 == 1 else []) + ["email"] * int(rng.integers(0, 3))
            elif tier == "low_touch":
                plan = ["webinar"] * int(rng.random() < 0.7) + ["call"] * int(rng.random() < 0.45) + ["email"]
            else:
                plan = ["email"] * int(rng.integers(1, 3)) + ["in_app_message"] * int(rng.random() < 0.8)
            for kind in plan:
                if rng.random() < SKIP_SHARE[engaged]:
                    continue
                day = day_in(lo, hi)
                if day is not None and (day <= end or kind in ("meeting", "qbr")):
                    w.add(a, day, kind)
        month = nxt
    for start in a.starts:
        if ws <= start <= end and rng.random() < (0.9 if a.onboarded else 0.45):
            day = start + DAY * int(rng.integers(2, 21))
            if day <= end:
                w.add(a, day, "onboarding_session")


def _respond(w: _Writer, e: Episode, end: date) -> None:
    rng = w.rng
    if e.acted:
        first = at_jst(e.onset, rng.uniform(9.5, 18.0) * 3600) + timedelta(hours=float(rng.lognormal(np.log(30), 0.8)))
        day, hour = first.date(), first.hour + first.minute / 60
        if hour >= 19:  # after hours: first thing the next morning
            day, hour = day + DAY, rng.uniform(9.0, 10.5)
        elif hour < 9:
            hour = rng.uniform(9.0, 10.5)
        kind = "call"
        while day <= min(e.until, end):
            w.add(e.account, day, kind, risk=True, hour=hour)
            hour = None
            day += DAY * int(rng.integers(3, 8))
            kind = ("call", "meeting", "email")[int(rng.integers(0, 3))]
    elif rng.random() < LATE_CALL_SHARE:
        late = e.onset + DAY * int(rng.integers(16, 35))
        if late <= end:
            w.add(e.account, late, "call", risk=True)


def _watch(w: _Writer, a: Account, ws: date, end: date) -> None:
    """An engaged CSM keeps close to the account: a call or an e-mail every few days."""
    rng = w.rng
    for c in a.contracts:
        day = max(c.start, ws) + DAY * int(rng.integers(0, WATCH_EVERY_DAYS[1]))
        while day <= min(c.end, end):
            if day.weekday() < 5:
                w.add(a, day, "call" if rng.random() < 0.4 else "email", risk=True)
            day += DAY * int(rng.integers(*WATCH_EVERY_DAYS))


def activity_rows(rng: np.random.Generator, crm: Crm, ws: date, end: date, ids: IdFactory) -> tuple[list[Row], dict]:
    """Rows of the activities export, and the realised engaged / churned counts of accounts and episodes."""
    customers = [a for a in crm.accounts if a.first_start is not None and a.contracts]
    episodes = _episodes(rng, customers, ws, end)
    churners = {e.account.idx for e in episodes if e.churns}
    engaged = _draw_engaged(rng, customers, churners)
    for e in episodes:
        e.acted = engaged[e.account.idx]
    w = _Writer(rng, crm, ids, end)
    quiet: dict[int, list[tuple[date, date]]] = {}
    for e in episodes:
        if not e.acted:  # a missed episode: the CSM does not touch the account while it lasts
            quiet.setdefault(e.account.idx, []).append((e.onset, e.until))
    for a in customers:
        _routine(w, a, ws, end, quiet.get(a.idx, []), engaged[a.idx])
        if engaged[a.idx]:
            _watch(w, a, ws, end)
    for e in episodes:
        _respond(w, e, end)
    w.rows.sort(key=lambda r: (r["ActivityDateTime"], r["Id"]))
    realised = {
        flag: {
            "accounts": sum(engaged[a.idx] == value for a in customers),
            "churned_accounts": sum(engaged[a.idx] == value and a.idx in churners for a in customers),
            "risk_episodes": sum(e.acted == value for e in episodes),
        }
        for flag, value in (("engaged", True), ("disengaged", False))
    }
    return w.rows, realised
