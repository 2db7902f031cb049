"""CRM/SFA entities as rows keyed by the contract's headers (values still typed; writers format them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from .catalog import INDUSTRIES, PLANS, PRODUCT_LINES
from .lifecycle import (
    Account,
    Churn,
    IdFactory,
    LifecycleSimulator,
    monthly_value,
)
from .names import NameSource
from .timeutil import DAY, JST, at_jst

Row = dict[str, Any]
REASSIGNED_SHARE = 0.15


@dataclass
class Person:
    id: str
    account: int
    role: str
    last: str
    first: str
    email: str
    created: datetime


@dataclass
class Staff:
    rows: list[Row]
    csms: list[str]
    account_executives: list[str]


@dataclass
class Crm:
    """Everything the CRM knows, plus the hidden account traits the other generators read."""

    accounts: list[Account]
    tables: dict[str, list[Row]] = field(default_factory=dict)
    contacts: list[Person] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)


def _ts_cap(ts: datetime, end: date) -> datetime:
    """No record may be created after the export day."""
    last = at_jst(end, 23 * 3600 + 59 * 60)
    return min(ts, last)


# The team of staff outside Customer Success (a cs_manager heads a CS team of their own).
_STAFF_TEAMS = {"account_executive": "営業部", "support_agent": "サポート部"}


def staff_rows(
    rng: np.random.Generator, names: NameSource, n_accounts: int, window_start: date, ids: IdFactory
) -> Staff:
    n_csm = max(1, round(n_accounts / 25))
    roles = (
        ["csm"] * n_csm
        + ["cs_manager"] * max(1, round(n_csm / 8))
        + ["account_executive"] * max(1, round(n_accounts / 80))
        + ["support_agent"] * max(2, round(n_accounts / 60))
    )
    rows, csms, aes = [], [], []
    managers: list[tuple[str, str]] = []  # (user id, team) of each cs_manager, in order
    for role in roles:
        last, first, roman = names.person()
        uid = ids.next("005")
        # CSMs own accounts through the whole window, so only other staff may have left the company.
        active = role == "csm" or rng.random() > 0.05
        created = at_jst(window_start - DAY * int(rng.integers(30, 1500)), rng.uniform(9, 18) * 3600)
        # Teams and managers are drawn from no random stream, so the rest of the dataset is unchanged by them.
        team, manager = _STAFF_TEAMS.get(role), None
        if role == "cs_manager":
            team = f"カスタマーサクセス{len(managers) + 1}課"
            managers.append((uid, team))
        rows.append(
            {
                "Id": uid,
                "Name": f"{last} {first}",
                "Email": f"{roman}@cs-saas.example.jp",
                "UserRole": role,
                "IsActive": active,
                "CreatedDate": created,
                "Team": team,
                "ManagerId": manager,
            }
        )
        if role == "csm":
            csms.append(uid)
        elif role == "account_executive":
            aes.append(uid)
    # CSMs take turns across the CS teams; a team's manager is the CSM's manager.
    for n, row in enumerate(r for r in rows if r["UserRole"] == "csm"):
        row["ManagerId"], row["Team"] = managers[n % len(managers)]
    return Staff(rows, csms, aes)


def assignment_rows(
    rng: np.random.Generator, accounts: list[Account], csms: list[str], end: date, ids: IdFactory
) -> tuple[list[Row], dict[int, str]]:
    """CSM ownership history; EndDate is exclusive and empty for the current owner."""
    rows: list[Row] = []
    owner: dict[int, str] = {}
    for a in accounts:
        start = a.created.astimezone(JST).date()
        csm = csms[int(rng.integers(0, len(csms)))]
        changes: list[date] = []
        if len(csms) > 1 and rng.random() < REASSIGNED_SHARE and (end - start).days > 45:
            changes.append(start + DAY * int(rng.integers(30, (end - start).days)))
            if rng.random() < 0.2 and (end - changes[0]).days > 20:
                changes.append(changes[0] + DAY * int(rng.integers(10, (end - changes[0]).days)))
        for change in [*changes, None]:
            rows.append(
                {"Id": ids.next("a0A"), "AccountId": a.id, "UserId": csm, "StartDate": start, "EndDate": change}
            )
            if change is not None:
                others = [c for c in csms if c != csm]
                csm, start = others[int(rng.integers(0, len(others)))], change
        owner[a.idx] = csm
    return rows, owner


def account_rows(
    rng: np.random.Generator, names: NameSource, accounts: list[Account], owner: dict[int, str]
) -> list[Row]:
    rows = []
    enterprise_ids = []
    for a in accounts:
        parent = None
        # Subsidiaries roll up to an earlier enterprise account (never to themselves, so no cycles).
        if a.segment != "enterprise" and enterprise_ids and rng.random() < 0.05:
            parent = enterprise_ids[int(rng.integers(0, len(enterprise_ids)))]
        if a.segment == "enterprise":
            enterprise_ids.append(a.id)
        rows.append(
            {
                "Id": a.id,
                "Name": names.company(),
                "ParentId": parent,
                "Industry": INDUSTRIES[int(rng.integers(0, len(INDUSTRIES)))] if rng.random() > 0.05 else None,
                "BillingState": names.prefecture(float(rng.random())),
                "NumberOfEmployees": int(a.seats * rng.uniform(1.5, 8)),
                "Segment__c": a.segment,
                "OwnerId": owner[a.idx],
                "CreatedDate": a.created,
            }
        )
    return rows


_CONTACT_COUNTS = {"enterprise": (5, 12), "mid_market": (3, 7), "smb": (2, 4)}


def contact_people(
    rng: np.random.Generator, names: NameSource, accounts: list[Account], domains: list[str], end: date, ids: IdFactory
) -> list[Person]:
    people = []
    for a in accounts:
        lo, hi = _CONTACT_COUNTS[a.segment]
        n = int(rng.integers(lo, hi + 1))
        roles = ["admin", "champion", "billing"] + (["executive"] if a.segment != "smb" else [])
        roles = (roles + ["user"] * n)[: max(n, 3)]
        for role in roles:
            last, first, roman = names.person()
            created = _ts_cap(a.created + DAY * int(rng.integers(0, 20)), end)
            people.append(Person(ids.next("003"), a.idx, role, last, first, f"{roman}@{domains[a.idx]}", created))
    return people


def contact_rows(
    rng: np.random.Generator, names: NameSource, people: list[Person], accounts: list[Account]
) -> list[Row]:
    return [
        {
            "Id": p.id,
            "AccountId": accounts[p.account].id,
            "LastName": p.last,
            "FirstName": p.first,
            "Email": p.email if rng.random() > 0.03 else None,
            "Title": names.title(p.role, int(rng.integers(0, 10))),
            "ContactRole__c": p.role,
            "CreatedDate": p.created,
        }
        for p in people
    ]


def catalog_rows() -> tuple[list[Row], list[Row]]:
    lines = [{"Id": pl.id, "Name": pl.name, "NameJa__c": pl.name_ja} for pl in PRODUCT_LINES]
    plans = [
        {
            "Id": p.id,
            "Name": p.name,
            "ProductLineId": p.line.id,
            "Tier__c": p.tier,
            "TierRank__c": p.tier_rank,
            "ListPricePerSeatJpy__c": p.price_per_seat_jpy,
        }
        for p in PLANS
    ]
    return lines, plans


def contract_rows(accounts: list[Account]) -> tuple[list[Row], list[Row]]:
    contracts, items = [], []
    for a in accounts:
        for c in a.contracts:
            contracts.append(
                {
                    "Id": c.id,
                    "AccountId": a.id,
                    "ContractNumber": c.number,
                    "StartDate": c.start,
                    "EndDate": c.end,
                    "ContractTerm": c.term,
                    "BillingPeriod__c": c.billing,
                    "Status": c.status,
                    "CancellationDate__c": c.cancellation,
                    "PreviousContractId__c": c.previous_id,
                    "CurrencyIsoCode": c.currency,
                }
            )
            for i in c.items:
                items.append(
                    {
                        "Id": i.id,
                        "ContractId": c.id,
                        "PlanId": i.plan.id,
                        "Quantity": i.quantity,
                        "Amount": i.amount,
                        "StartDate": i.start,
                        "EndDate": i.end,
                    }
                )
    return contracts, items


def _opportunity(
    ids: IdFactory,
    a: Account,
    kind: str,
    stage: str,
    amount: float | None,
    close: date,
    created: datetime,
    owner: str,
    end: date,
) -> Row:
    return {
        "Id": ids.next("006"),
        "AccountId": a.id,
        "Type": kind,
        "StageName": stage,
        "Amount": None if amount is None else round(abs(amount), 2 if a.currency == "USD" else 0),
        "CurrencyIsoCode": a.currency,
        "CloseDate": close,
        "CreatedDate": _ts_cap(created, end),
        "OwnerId": owner,
    }


def opportunity_rows(
    rng: np.random.Generator, accounts: list[Account], staff: Staff, owner: dict[int, str], end: date, ids: IdFactory
) -> list[Row]:
    rows: list[Row] = []

    def created_before(close: date, lo: int, hi: int) -> datetime:
        return at_jst(close - DAY * int(rng.integers(lo, hi)), rng.uniform(9, 19) * 3600)

    for a in accounts:
        ae = staff.account_executives[a.idx % len(staff.account_executives)]
        if a.first_start is None:  # a prospect: lost or still in the pipeline
            close = a.created.astimezone(JST).date() + DAY * int(rng.integers(20, 120))
            stage = "closed_lost" if close <= end or rng.random() < 0.5 else "proposal"
            close = min(close, end) if stage == "closed_lost" else close
            rows.append(_opportunity(ids, a, "new", stage, a.seats * 3000.0, close, a.created + DAY * 2, ae, end))
            continue
        for ch in a.changes:
            if ch.kind not in ("new", "upsell", "cross_sell"):
                continue
            close = ch.day - DAY * int(rng.integers(0, 15))
            rows.append(
                _opportunity(
                    ids, a, ch.kind, "closed_won", ch.monthly_delta, close, created_before(close, 14, 90), ae, end
                )
            )
            if ch.kind != "new" and rng.random() < 0.3:
                lost_close = close - DAY * int(rng.integers(30, 120))
                rows.append(
                    _opportunity(
                        ids,
                        a,
                        ch.kind,
                        "closed_lost",
                        ch.monthly_delta * 1.5,
                        lost_close,
                        created_before(lost_close, 14, 60),
                        ae,
                        end,
                    )
                )
        for r in a.renewals:
            c = r.contract
            if c.end - DAY * 90 > end:
                continue
            amount = sum(monthly_value(i, c.billing) for i in c.active_items())
            if r.outcome == "won" and r.successor is not None:
                succ = r.successor
                close = min(succ.start - DAY * int(rng.integers(0, 20)), end)
                amount = sum(monthly_value(i, succ.billing) for i in succ.items if i.start == succ.start)
                rows.append(
                    _opportunity(
                        ids,
                        a,
                        "renewal",
                        "closed_won",
                        amount,
                        close,
                        at_jst(c.end - DAY * 90, 10 * 3600),
                        owner[a.idx],
                        end,
                    )
                )
            elif r.outcome == "lost":
                close = min(c.cancellation or c.end, end)
                rows.append(
                    _opportunity(
                        ids,
                        a,
                        "renewal",
                        "closed_lost",
                        amount,
                        close,
                        at_jst(c.end - DAY * 90, 10 * 3600),
                        owner[a.idx],
                        end,
                    )
                )
            else:
                days_left = (c.end - end).days
                stage = "prospecting" if days_left > 60 else "proposal" if days_left > 30 else "negotiation"
                rows.append(
                    _opportunity(
                        ids, a, "renewal", stage, amount, c.end, at_jst(c.end - DAY * 90, 10 * 3600), owner[a.idx], end
                    )
                )
    return rows


_REASON_TEXT = {
    "price": ("価格が予算に合わなくなったため。", "他社と比べて費用対効果が見合わない。", "値上げにより継続が難しい。"),
    "missing_feature": (
        "必要な帳票出力機能がない。",
        "ワークフロー機能が要件を満たさなかった。",
        "外部システム連携が不足している。",
    ),
    "low_usage": ("社内で使われなくなった。", "導入が定着せず利用者が減った。", "担当者の異動で誰も使っていない。"),
    "competitor": ("他社製品に乗り換えるため。", "グループ会社で別ツールに統一することになった。"),
    "support": ("問い合わせへの回答が遅かった。", "障害対応に不満があった。"),
    "budget_cut": ("来期の予算削減のため。", "コスト見直しの対象になった。"),
    "merger": ("合併に伴いシステムを統合するため。",),
    "other": ("事業方針の変更のため。", "プロジェクト終了のため。"),
}
REASON_CODES = tuple(_REASON_TEXT)


def _reason_weights(a: Account) -> np.ndarray:
    w = np.array([2.0, 1.5, 1.5, 1.2, 0.4, 1.0, 0.3, 0.6])
    if not a.onboarded:
        w[2] += 4.0
    if a.burden:
        w[4] += 3.0
    if a.detractor:
        w[0] += 1.0
        w[1] += 1.5
    return w / w.sum()


def survey_rows(rng: np.random.Generator, accounts: list[Account], end: date, ids: IdFactory) -> list[Row]:
    """One cancellation survey for most visible cancellations, submitted a few days after the request."""
    rows = []
    for a in accounts:
        for ch in a.churns:
            if not _is_cancellation(ch) or ch.anchor > end or rng.random() > 0.85:
                continue
            reason = REASON_CODES[int(rng.choice(len(REASON_CODES), p=_reason_weights(a)))]
            texts = _REASON_TEXT[reason]
            submitted = at_jst(min(ch.anchor + DAY * int(rng.integers(0, 4)), end), rng.uniform(9, 20) * 3600)
            rows.append(
                {
                    "Id": ids.next("a2S"),
                    "AccountId": a.id,
                    "ContractId": ch.contract.id,
                    "SubmittedAt": submitted,
                    "ReasonCode": reason,
                    "FreeText": texts[int(rng.integers(0, len(texts)))] if rng.random() > 0.2 else None,
                }
            )
    return rows


def _is_cancellation(ch: Churn) -> bool:
    return ch.kind in ("cancelled", "same_month") and ch.contract.cancellation is not None


def build_crm(
    rng: np.random.Generator, names: NameSource, n_accounts: int, window_start: date, end: date, ids: IdFactory
) -> Crm:
    sim = LifecycleSimulator(rng, window_start, end, ids)
    accounts = [sim.draw_account(i, ids.next("001")) for i in range(n_accounts)]
    for a in accounts:
        sim.simulate(a)
    staff = staff_rows(rng, names, n_accounts, window_start, ids)
    assignments, owner = assignment_rows(rng, accounts, staff.csms, end, ids)
    domains = [names.domain(a.idx) for a in accounts]
    people = contact_people(rng, names, accounts, domains, end, ids)
    lines, plans = catalog_rows()
    contracts, items = contract_rows(accounts)
    crm = Crm(accounts=accounts, contacts=people, domains=domains)
    crm.tables = {
        "users": staff.rows,
        "accounts": account_rows(rng, names, accounts, owner),
        "account_csm_assignments": assignments,
        "contacts": contact_rows(rng, names, people, accounts),
        "product_lines": lines,
        "plans": plans,
        "contracts": contracts,
        "contract_items": items,
        "opportunities": opportunity_rows(rng, accounts, staff, owner, end, ids),
        "cancellation_surveys": survey_rows(rng, accounts, end, ids),
    }
    return crm
