"""Account lifecycles: who signs, on which plan, how the contract changes, when it renews or ends.

Every account carries hidden traits drawn first (onboarded, detractor, ticket burden, billing period). The
churn hazard is built from those traits, and the observable data (events, NPS, tickets) is generated later
from the same traits, which is what makes the planted effects measurable by the KPIs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from .catalog import ADD_ON_LINES, CORE, JPY_PER_USD, TIERS, Plan, plan_for
from .timeutil import DAY, add_months, at_jst, month_end

SEGMENTS = ("enterprise", "mid_market", "smb")

# Planted effect sizes. docs/generator.md and the manifest quote these numbers.
MONTHLY_BASE_HAZARD = 0.015  # per paid month, monthly billing, healthy account
ANNUAL_BASE_NON_RENEWAL = 0.08  # per term end, annual billing, healthy account
MISSED_ONBOARDING_MULTIPLIER = 3.0
DETRACTOR_MULTIPLIER = 2.0
TICKET_BURDEN_MULTIPLIER = 2.0
SHARE_ONBOARDED = 0.70
SHARE_DETRACTOR = 0.25
SHARE_TICKET_BURDEN = 0.15
REACTIVATION_PROBABILITY = 0.15
PAID_TO_FREE_SHARE = 0.20  # of monthly core churn decisions that become a free-plan downgrade
SAME_MONTH_CHURN_SHARE = 0.015
PROSPECT_SHARE = 0.10
USD_SHARE = 0.03
TRIAL_SHARE = 0.15
FREEMIUM_SHARE = 0.06

_SEGMENT_P = (0.10, 0.30, 0.60)
_SEATS = {"enterprise": (100, 500), "mid_market": (20, 120), "smb": (3, 25)}
_ANNUAL_P = {"enterprise": 0.85, "mid_market": 0.60, "smb": 0.25}
_START_TIER_P = {  # starter, standard, enterprise
    "enterprise": (0.05, 0.45, 0.50),
    "mid_market": (0.25, 0.60, 0.15),
    "smb": (0.55, 0.42, 0.03),
}


class IdFactory:
    """Salesforce-looking 18-character ids: a 3-character object prefix and a zero-padded counter."""

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}

    def next(self, prefix: str) -> str:
        n = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = n
        return f"{prefix}{n:015d}"


@dataclass
class Item:
    id: str
    contract_id: str
    plan: Plan
    quantity: int
    amount: float
    start: date
    end: date | None = None


@dataclass
class Contract:
    id: str
    number: str
    account: int
    start: date
    end: date
    term: int
    billing: str
    currency: str
    discount: float
    status: str = "active"
    cancellation: date | None = None
    previous_id: str | None = None
    items: list[Item] = field(default_factory=list)

    def active_items(self) -> list[Item]:
        return [i for i in self.items if i.end is None]


@dataclass
class Churn:
    """A decision to leave. `anchor` is the day usage decline aims at (the cancellation request)."""

    contract: Contract
    anchor: date
    end: date
    kind: str  # cancelled | expired | paid_to_free | same_month | future (decided, not yet visible)


@dataclass
class Change:
    """A priced change to a running contract, for the opportunity pipeline."""

    day: date
    kind: str  # new | upsell | cross_sell | contraction | downgrade
    monthly_delta: float
    currency: str


@dataclass
class Renewal:
    contract: Contract
    successor: Contract | None
    outcome: str  # won | lost | open


@dataclass
class Account:
    idx: int
    id: str
    segment: str
    seats: int
    currency: str
    onboarded: bool
    detractor: bool
    burden: bool
    intensity: float
    created: datetime
    first_start: date | None  # None = a prospect that never signed
    same_month_churn: bool = False
    contracts: list[Contract] = field(default_factory=list)
    churns: list[Churn] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    renewals: list[Renewal] = field(default_factory=list)
    starts: list[date] = field(default_factory=list)  # first start and reactivation starts

    @property
    def churn_multiplier(self) -> float:
        m = 1.0 if self.onboarded else MISSED_ONBOARDING_MULTIPLIER
        m *= DETRACTOR_MULTIPLIER if self.detractor else 1.0
        m *= TICKET_BURDEN_MULTIPLIER if self.burden else 1.0
        return m


def monthly_value(item: Item, billing: str) -> float:
    return item.amount / 12 if billing == "annual" else item.amount


def _days_between(rng: np.random.Generator, lo: date, hi: date) -> date:
    """A uniformly random day in [lo, hi]."""
    span = (hi - lo).days
    return lo + DAY * int(rng.integers(0, span + 1)) if span > 0 else lo


class LifecycleSimulator:
    def __init__(self, rng: np.random.Generator, start: date, end: date, ids: IdFactory) -> None:
        self.rng = rng
        self.window_start = start
        self.end = end
        self.ids = ids
        self._contract_no = 0

    # ---- accounts -------------------------------------------------------------------------------------
    def draw_account(self, idx: int, account_id: str) -> Account:
        rng = self.rng
        segment = SEGMENTS[int(rng.choice(3, p=_SEGMENT_P))]
        lo, hi = _SEATS[segment]
        seats = int(np.clip(rng.lognormal(np.log((lo * hi) ** 0.5), 0.45), lo, hi))
        prospect = rng.random() < PROSPECT_SHARE
        first_start = None if prospect else self._first_start()
        anchor = first_start or _days_between(rng, self.window_start, self.end)
        created = at_jst(anchor - DAY * int(rng.integers(10, 90)), rng.uniform(9, 19) * 3600)
        return Account(
            idx=idx,
            id=account_id,
            segment=segment,
            seats=seats,
            currency="USD" if rng.random() < USD_SHARE else "JPY",
            onboarded=bool(rng.random() < SHARE_ONBOARDED),
            detractor=bool(rng.random() < SHARE_DETRACTOR),
            burden=bool(rng.random() < SHARE_TICKET_BURDEN),
            intensity=float(rng.lognormal(0.0, 0.35)),
            created=created,
            first_start=first_start,
        )

    def _first_start(self) -> date:
        # A launch cohort signs in the first month; the rest arrive evenly until a week before the end.
        if self.rng.random() < 0.30:
            return _days_between(self.rng, self.window_start, self.window_start + DAY * 30)
        return _days_between(self.rng, self.window_start, self.end - DAY * 7)

    def simulate(self, a: Account) -> None:
        if a.first_start is None:
            return
        if self.rng.random() < SAME_MONTH_CHURN_SHARE and self._same_month_churn(a):
            return
        start: date = a.first_start
        annual = self.rng.random() < _ANNUAL_P[a.segment]
        while True:
            a.starts.append(start)
            ended = self._run_annual(a, start) if annual else self._run_monthly(a, start)
            if ended is None or self.rng.random() >= REACTIVATION_PROBABILITY:
                return
            start = ended + DAY * int(self.rng.integers(60, 181))
            if start > self.end - DAY * 14:
                return
            annual = self.rng.random() < 0.3

    # ---- contracts ------------------------------------------------------------------------------------
    def _new_contract(self, a: Account, start: date, billing: str, term: int, previous: Contract | None) -> Contract:
        self._contract_no += 1
        discount = 0.0
        if billing == "annual" and self.rng.random() < 0.3:
            discount = float(self.rng.choice([0.05, 0.10, 0.15, 0.20]))
        c = Contract(
            id=self.ids.next("800"),
            number=f"{self._contract_no:08d}",
            account=a.idx,
            start=start,
            end=add_months(start, term) - DAY,
            term=term,
            billing=billing,
            currency=a.currency,
            discount=discount,
            previous_id=previous.id if previous else None,
        )
        a.contracts.append(c)
        return c

    def _amount(self, c: Contract, plan: Plan, seats: int, trial: bool = False) -> float:
        if trial:
            return 0.0
        months = 12 if c.billing == "annual" else 1
        jpy = seats * plan.price_per_seat_jpy * months * (1 - c.discount)
        return round(jpy / JPY_PER_USD, 2) if c.currency == "USD" else float(round(jpy))

    def _add_item(self, c: Contract, plan: Plan, seats: int, start: date, trial: bool = False) -> Item:
        item = Item(self.ids.next("a1C"), c.id, plan, seats, self._amount(c, plan, seats, trial), start)
        c.items.append(item)
        return item

    def _replace_item(self, c: Contract, old: Item, plan: Plan, seats: int, day: date) -> Item:
        old.end = day - DAY
        return self._add_item(c, plan, seats, day)

    def _initial_plans(self, a: Account) -> list[tuple[Plan, int]]:
        tier = ("starter", "standard", "enterprise")[int(self.rng.choice(3, p=_START_TIER_P[a.segment]))]
        plans = [(plan_for(CORE, tier), a.seats)]
        if a.segment != "smb" and self.rng.random() < 0.2:
            line = ADD_ON_LINES[int(self.rng.integers(0, 2))]
            plans.append((plan_for(line, "standard"), max(1, a.seats // 2)))
        return plans

    def _same_month_churn(self, a: Account) -> bool:
        """Start and cancel inside one calendar month (refunded early termination)."""
        start = a.first_start
        assert start is not None
        if start.day > 5 or month_end(start) >= self.end:
            return False
        a.same_month_churn = True
        a.starts.append(start)
        c = self._new_contract(a, start, "monthly", 1, None)
        for plan, seats in self._initial_plans(a):
            self._add_item(c, plan, seats, start)
        c.cancellation = start + DAY * int(self.rng.integers(2, 8))
        c.end = start + DAY * int(self.rng.integers(10, 19))
        c.status = "cancelled"
        a.changes.append(Change(start, "new", self._monthly_total(c), c.currency))
        a.churns.append(Churn(c, c.cancellation, c.end, "same_month"))
        return True

    def _monthly_total(self, c: Contract, day: date | None = None) -> float:
        day = day or c.start
        live = [i for i in c.items if i.start <= day and (i.end is None or i.end >= day)]
        return sum(monthly_value(i, c.billing) for i in live)

    def _run_monthly(self, a: Account, start: date) -> date | None:
        """One monthly-billed contract for as long as the customer stays. Returns its end if it churned."""
        rng = self.rng
        c = self._new_contract(a, start, "monthly", 1, None)
        freemium = len(a.starts) == 1 and a.segment == "smb" and rng.random() < FREEMIUM_SHARE / 0.6
        trial = not freemium and rng.random() < TRIAL_SHARE
        if freemium:
            self._add_item(c, plan_for(CORE, "free"), a.seats, start)
            convert_at = int(rng.integers(1, 5)) if rng.random() < 0.5 else -1
        else:
            for plan, seats in self._initial_plans(a):
                self._add_item(c, plan, seats, start, trial=trial)
            convert_at = -1
            if not trial:
                a.changes.append(Change(start, "new", self._monthly_total(c), c.currency))
        on_free = freemium
        k = 0
        while True:
            p_start = add_months(start, k)
            p_end = add_months(start, k + 1) - DAY
            if k == 1 and trial:
                for item in c.active_items():
                    self._replace_item(c, item, item.plan, item.quantity, p_start)
                a.changes.append(Change(p_start, "new", self._monthly_total(c, p_start), c.currency))
            if on_free and k == convert_at:
                core = c.active_items()[0]
                self._replace_item(
                    c, core, plan_for(CORE, "starter" if rng.random() < 0.7 else "standard"), core.quantity, p_start
                )
                a.changes.append(Change(p_start, "new", self._monthly_total(c, p_start), c.currency))
                on_free = False
            if not on_free and not (trial and k == 0):
                self._maybe_change(a, c, p_start, min(p_end, self.end))
            hazard = 0.02 if on_free else min(0.6, MONTHLY_BASE_HAZARD * a.churn_multiplier)
            if rng.random() < hazard:
                if not on_free and k > 0 and p_end < self.end and rng.random() < PAID_TO_FREE_SHARE:
                    self._downgrade_to_free(a, c, p_start, p_end)
                    on_free = True
                else:
                    return self._cancel(a, c, _days_between(rng, p_start, min(p_end, self.end)), p_end, "cancelled")
            if p_end >= self.end:
                c.end = p_end
                c.status = "active"
                return None
            k += 1

    def _downgrade_to_free(self, a: Account, c: Contract, p_start: date, p_end: date) -> None:
        before = self._monthly_total(c, p_end)
        seats = max(i.quantity for i in c.active_items())
        for item in c.active_items():
            item.end = p_end
        self._add_item(c, plan_for(CORE, "free"), seats, p_end + DAY)
        a.changes.append(Change(p_end + DAY, "downgrade", -before, c.currency))
        a.churns.append(Churn(c, _days_between(self.rng, p_start, p_end), p_end, "paid_to_free"))

    def _cancel(self, a: Account, c: Contract, requested: date, end: date, kind: str) -> date:
        c.cancellation = requested
        c.end = end
        c.status = "pending_cancellation" if end >= self.end else "cancelled"
        a.churns.append(Churn(c, requested, end, kind))
        return end

    def _run_annual(self, a: Account, start: date) -> date | None:
        """Annual terms back to back; each renewal is a new contract pointing at its predecessor."""
        rng = self.rng
        previous: Contract | None = None
        plans = self._initial_plans(a)
        term_start = start
        while True:
            term = 12
            if previous is None and a.segment != "smb" and rng.random() < 0.15:
                term = 36 if rng.random() < 0.35 else 24
            c = self._new_contract(a, term_start, "annual", term, previous)
            for plan, seats in plans:
                self._add_item(c, plan, seats, term_start)
            kind = "renewal" if previous else "new"
            a.changes.append(Change(term_start, kind, self._monthly_total(c), c.currency))
            if previous is not None:
                a.renewals.append(Renewal(previous, c, "won"))
            for m in range(term):
                m_start = add_months(term_start, m)
                if m_start > self.end:
                    break
                self._maybe_change(a, c, m_start, min(add_months(term_start, m + 1) - DAY, self.end))
            leaves = rng.random() < min(0.85, ANNUAL_BASE_NON_RENEWAL * a.churn_multiplier)
            requested = max(c.start, c.end - DAY * int(rng.integers(15, 61)))
            if c.end >= self.end:
                if leaves and requested <= self.end:
                    self._cancel(a, c, requested, c.end, "cancelled")
                elif leaves:
                    a.churns.append(Churn(c, requested, c.end, "future"))
                a.renewals.append(Renewal(c, None, "lost" if c.status == "pending_cancellation" else "open"))
                return None
            if leaves:
                a.renewals.append(Renewal(c, None, "lost"))
                if rng.random() < 0.8:
                    return self._cancel(a, c, requested, c.end, "cancelled")
                c.status = "expired"
                a.churns.append(Churn(c, c.end - DAY * 30, c.end, "expired"))
                return c.end
            c.status = "renewed"
            late = int(rng.integers(1, 21)) if rng.random() < 0.10 else 0
            next_start = c.end + DAY * (1 + late)
            term_start = next_start if next_start <= self.end else c.end + DAY
            plans = self._renewal_plans(c)
            previous = c

    def _renewal_plans(self, c: Contract) -> list[tuple[Plan, int]]:
        out = []
        for item in c.active_items():
            seats = item.quantity
            u = self.rng.random()
            if u < 0.25:
                seats = seats + max(1, round(seats * self.rng.uniform(0.1, 0.3)))
            elif u < 0.35 and seats > 1:
                seats = max(1, seats - max(1, round(seats * self.rng.uniform(0.1, 0.2))))
            out.append((item.plan, seats))
        return out

    # ---- mid-term changes -----------------------------------------------------------------------------
    def _maybe_change(self, a: Account, c: Contract, lo: date, hi: date) -> None:
        """At most one priced change to the running contract within [lo, hi]."""
        rng = self.rng
        if hi <= lo or hi <= c.start:
            return
        healthy = 1.5 if a.onboarded and not a.detractor else 1.0
        u = rng.random()
        core = next((i for i in c.active_items() if i.plan.line == CORE), None)
        if core is None or core.plan.tier == "free":
            return
        first = max(lo, c.start + DAY, core.start + DAY)  # never end an item before it started
        if first > hi:
            return
        day = _days_between(rng, first, hi)
        before = self._monthly_total(c, day)
        p = np.cumsum([0.030 * healthy, 0.012, 0.012 * healthy, 0.006, 0.012 * healthy])
        rank = core.plan.tier_rank
        if u < p[0]:
            kind, seats = "upsell", core.quantity + max(1, round(core.quantity * rng.uniform(0.1, 0.5)))
            self._replace_item(c, core, core.plan, seats, day)
        elif u < p[1] and core.quantity > 1:
            kind, seats = "contraction", max(1, core.quantity - max(1, round(core.quantity * rng.uniform(0.1, 0.3))))
            self._replace_item(c, core, core.plan, seats, day)
        elif u < p[2] and rank < 3:
            kind = "upsell"
            self._replace_item(c, core, plan_for(CORE, TIERS[rank + 1]), core.quantity, day)
        elif u < p[3] and rank > 1:
            kind = "downgrade"
            self._replace_item(c, core, plan_for(CORE, TIERS[rank - 1]), core.quantity, day)
        elif u < p[4]:
            owned = {i.plan.line.id for i in c.active_items()}
            lines = [line for line in ADD_ON_LINES if line.id not in owned]
            if not lines:
                return
            kind = "cross_sell"
            line = lines[int(rng.integers(0, len(lines)))]
            tier = TIERS[min(3, max(1, rank))]
            self._add_item(c, plan_for(line, tier), max(1, round(core.quantity * rng.uniform(0.3, 1.0))), day)
        else:
            return
        a.changes.append(Change(day, kind, self._monthly_total(c, day) - before, c.currency))
