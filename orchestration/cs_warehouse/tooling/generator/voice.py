"""Voice of the customer: Zendesk tickets, NPS and CSAT answers, driven by the hidden account traits."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from .crm import Crm, Person, Row
from .lifecycle import Account
from .timeutil import DAY, at_jst

TICKETS_PER_MONTH = {"enterprise": 2.0, "mid_market": 0.8, "smb": 0.3}
BURDEN_TICKET_MULTIPLIER = 4.0
_PRIORITIES = ("low", "normal", "high", "urgent")
_FIRST_RESPONSE_MEDIAN_MIN = {"low": 240, "normal": 120, "high": 45, "urgent": 20}
_RESOLUTION_MEDIAN_H = {"low": 48, "normal": 24, "high": 12, "urgent": 6}
_SUBJECTS = (
    "ログインできません",
    "CSVエクスポートが失敗する",
    "ダッシュボードの表示が遅い",
    "請求書の送付先を変更したい",
    "SSO設定について",
    "API連携のエラー",
    "ユーザー追加の方法",
    "レポートの数値が合わない",
    "通知メールが届かない",
    "契約プランの変更について",
)
_NPS_COMMENTS = {
    "detractor": (
        "操作が分かりにくい。",
        "動作が重いことが多い。",
        "サポートの回答が遅い。",
        "価格に見合う価値を感じない。",
    ),
    "passive": ("概ね満足しているが改善の余地あり。", "機能は十分だが使いこなせていない。", "特に不満はない。"),
    "promoter": ("業務効率が大きく改善した。", "サポートが丁寧で助かっている。", "他部署にも勧めたい。"),
}


def live_spans(a: Account, end: date) -> list[tuple[date, date]]:
    """Days the account had a running contract, clipped to the export day."""
    return [(c.start, min(c.end, end)) for c in a.contracts if c.start <= end]


def _random_days(rng: np.random.Generator, spans: list[tuple[date, date]], n: int) -> list[date]:
    lengths = np.array([(e - s).days + 1 for s, e in spans])
    offsets = np.sort(rng.integers(0, lengths.sum(), n)) if n else np.array([], dtype=int)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    out = []
    for off in offsets:
        k = int(np.searchsorted(starts, off, side="right") - 1)
        out.append(spans[k][0] + DAY * int(off - starts[k]))
    return out


def _working_time(rng: np.random.Generator, d: date) -> datetime:
    return at_jst(d, rng.normal(13.5, 2.5) % 24 * 3600)


def _contacts_by_account(people: list[Person]) -> dict[int, list[Person]]:
    out: dict[int, list[Person]] = {}
    for p in people:
        out.setdefault(p.account, []).append(p)
    return out


def ticket_rows(rng: np.random.Generator, crm: Crm, end: date) -> list[Row]:
    contacts = _contacts_by_account(crm.contacts)
    export_at = at_jst(end, 24 * 3600 - 1)
    rows: list[Row] = []
    for a in crm.accounts:
        spans = live_spans(a, end)
        if not spans:
            continue
        days = sum((e - s).days + 1 for s, e in spans)
        rate = TICKETS_PER_MONTH[a.segment] * (BURDEN_TICKET_MULTIPLIER if a.burden else 1.0)
        p_prio = np.array([0.25, 0.50, 0.18, 0.07]) if not a.burden else np.array([0.10, 0.45, 0.30, 0.15])
        for d in _random_days(rng, spans, int(rng.poisson(rate * days / 30))):
            priority = _PRIORITIES[int(rng.choice(4, p=p_prio))]
            created = _working_time(rng, d)
            first = created + timedelta(minutes=float(rng.lognormal(np.log(_FIRST_RESPONSE_MEDIAN_MIN[priority]), 0.8)))
            solved = first + timedelta(hours=float(rng.lognormal(np.log(_RESOLUTION_MEDIAN_H[priority]), 1.0)))
            stale = rng.random() < 0.03  # waits on the customer or on engineering for weeks
            if first > export_at:
                first_at, solved_at, status = None, None, "new"
            elif stale or solved > export_at:
                first_at, solved_at = first, None
                status = ("open", "pending", "hold")[int(rng.integers(0, 3))]
            else:
                first_at, solved_at = first, solved
                status = "solved" if (export_at - solved).days < 4 else "closed"
            escalate_p = (0.25 if priority == "urgent" else 0.04) * (2 if a.burden else 1)
            people = contacts.get(a.idx, [])
            requester = people[int(rng.integers(0, len(people)))].id if people and rng.random() > 0.08 else None
            rows.append(
                {
                    "id": "",  # numbered after sorting by creation time, as Zendesk does
                    "organization_id": a.id,
                    "requester_id": requester,
                    "created_at": created,
                    "first_response_at": first_at,
                    "solved_at": solved_at,
                    "status": status,
                    "priority": priority,
                    "is_escalated": bool(rng.random() < escalate_p),
                    "subject": _SUBJECTS[int(rng.integers(0, len(_SUBJECTS)))],
                }
            )
    rows.sort(key=lambda r: (r["created_at"], r["organization_id"]))
    for n, r in enumerate(rows):
        r["id"] = str(100001 + n)
    return rows


def _nps_score(rng: np.random.Generator, a: Account) -> int:
    u = rng.random()
    if a.detractor:
        return int(rng.integers(1, 7)) if u < 0.80 else int(rng.integers(7, 9))
    if u < 0.08:
        return int(rng.integers(4, 7))
    return int(rng.integers(7, 9)) if u < 0.60 else int(rng.integers(9, 11))


def _survey_waves(start: date, end: date) -> list[date]:
    """Quarterly waves two weeks into each fiscal quarter (April fiscal year)."""
    waves = []
    for year in range(start.year - 1, end.year + 1):
        for month in (1, 4, 7, 10):
            d = date(year, month, 15)
            if start <= d <= end:
                waves.append(d)
    return waves


def nps_rows(rng: np.random.Generator, crm: Crm, window_start: date, end: date) -> list[Row]:
    contacts = _contacts_by_account(crm.contacts)
    rows: list[Row] = []
    for wave in _survey_waves(window_start, end):
        for a in crm.accounts:
            if not any(s <= wave <= e for s, e in live_spans(a, end)):
                continue
            for p in contacts.get(a.idx, []):
                if p.role == "billing" or rng.random() > 0.35:
                    continue
                # Some people answer again within the wave; the KPI keeps the latest answer per respondent.
                for _ in range(2 if rng.random() < 0.05 else 1):
                    d = wave + DAY * int(rng.integers(0, 15))
                    responded = _working_time(rng, min(d, end))
                    if responded < p.created:
                        continue
                    score = _nps_score(rng, a)
                    band = "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"
                    texts = _NPS_COMMENTS[band]
                    comment = texts[int(rng.integers(0, len(texts)))] if rng.random() < 0.4 else None
                    rows.append(
                        {
                            "response_id": "",
                            "account_id": a.id,
                            "contact_id": p.id,
                            "responded_at": responded,
                            "score": score,
                            "comment": comment,
                        }
                    )
    rows.sort(key=lambda r: (r["responded_at"], r["contact_id"]))
    for n, r in enumerate(rows):
        r["response_id"] = f"nps_{n + 1:07d}"
    return rows


def _csat_score(rng: np.random.Generator, a: Account) -> int:
    unhappy = a.burden or a.detractor
    p = [0.12, 0.18, 0.30, 0.28, 0.12] if unhappy else [0.03, 0.07, 0.20, 0.40, 0.30]
    return int(rng.choice(5, p=p)) + 1


def csat_rows(rng: np.random.Generator, crm: Crm, tickets: list[Row], end: date) -> list[Row]:
    export_at = at_jst(end, 24 * 3600 - 1)
    by_id = {a.id: a for a in crm.accounts}
    contacts = _contacts_by_account(crm.contacts)
    rows: list[Row] = []

    def add(a: Account, contact: str | None, ticket: str | None, touchpoint: str, at: datetime) -> None:
        if at <= export_at:
            rows.append(
                {
                    "response_id": "",
                    "account_id": a.id,
                    "contact_id": contact,
                    "ticket_id": ticket,
                    "touchpoint": touchpoint,
                    "responded_at": at,
                    "score": _csat_score(rng, a),
                }
            )

    for t in tickets:
        if t["solved_at"] is not None and rng.random() < 0.35:
            at = t["solved_at"] + timedelta(hours=float(rng.uniform(1, 48)))
            add(by_id[t["organization_id"]], t["requester_id"], t["id"], "support", at)
    for a in crm.accounts:
        admin = next((p.id for p in contacts.get(a.idx, []) if p.role == "admin"), None)
        for start in a.starts[:1]:
            if rng.random() < 0.5:
                add(a, admin, None, "onboarding", _working_time(rng, start + DAY * int(rng.integers(30, 46))))
        for s, e in live_spans(a, end):
            for d in _random_days(rng, [(s, e)], int(rng.poisson(0.1 * ((e - s).days + 1) / 30))):
                add(a, admin, None, "training", _working_time(rng, d))
        for r in a.renewals:
            if r.successor is not None and rng.random() < 0.4:
                add(a, admin, None, "renewal", _working_time(rng, r.successor.start + DAY * int(rng.integers(0, 15))))
    rows.sort(key=lambda r: (r["responded_at"], r["account_id"]))
    for n, r in enumerate(rows):
        r["response_id"] = f"csat_{n + 1:07d}"
    return rows
