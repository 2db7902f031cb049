"""What the synthetic company sells and what its product logs: product lines, plans, features, events.

Seeds in the dbt project (plans, product lines, features, onboarding milestones) can mirror these tables;
docs/generator.md repeats them.
"""

from __future__ import annotations

from dataclasses import dataclass

JPY_PER_USD = 150.0


@dataclass(frozen=True)
class ProductLine:
    id: str
    name: str
    name_ja: str
    is_core: bool


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    line: ProductLine
    tier: str
    tier_rank: int
    price_per_seat_jpy: int


CORE = ProductLine("a0P000000000000001", "Core Platform", "コアプラットフォーム", True)
ANALYTICS = ProductLine("a0P000000000000002", "Analytics Add-on", "分析アドオン", False)
INTEGRATIONS = ProductLine("a0P000000000000003", "Integrations Add-on", "連携アドオン", False)
PRODUCT_LINES: tuple[ProductLine, ...] = (CORE, ANALYTICS, INTEGRATIONS)
ADD_ON_LINES: tuple[ProductLine, ...] = (ANALYTICS, INTEGRATIONS)

TIERS = ("free", "starter", "standard", "enterprise")

# Add-ons have no free tier: a free add-on would be a feature flag, not a sellable plan.
_PRICES: dict[str, dict[str, int]] = {
    CORE.id: {"free": 0, "starter": 1500, "standard": 3000, "enterprise": 6000},
    ANALYTICS.id: {"starter": 800, "standard": 1600, "enterprise": 3200},
    INTEGRATIONS.id: {"starter": 500, "standard": 1000, "enterprise": 2000},
}


def _plans() -> tuple[Plan, ...]:
    plans = []
    n = 0
    for line in PRODUCT_LINES:
        for tier, price in _PRICES[line.id].items():
            n += 1
            plans.append(Plan(f"01t{n:015d}", f"{line.name} {tier.title()}", line, tier, TIERS.index(tier), price))
    return tuple(plans)


PLANS: tuple[Plan, ...] = _plans()


def plan_for(line: ProductLine, tier: str) -> Plan:
    for plan in PLANS:
        if plan.line == line and plan.tier == tier:
            return plan
    raise KeyError((line.id, tier))


# Feature code -> lowest core tier rank that includes it. f_api/f_sso are enterprise-only, f_workflow and
# f_ai_assist need standard. A dbt features seed can copy this map to compute feature_adoption denominators.
FEATURE_MIN_TIER: dict[str, int] = {
    "f_dashboard": 0,
    "f_reports": 0,
    "f_alerts": 1,
    "f_export": 1,
    "f_workflow": 2,
    "f_ai_assist": 2,
    "f_api": 3,
    "f_sso": 3,
}
FEATURES: tuple[str, ...] = tuple(FEATURE_MIN_TIER)
# Relative popularity: dashboards are opened daily, SSO is configured once and rarely "used".
FEATURE_WEIGHTS: dict[str, float] = {
    "f_dashboard": 10.0,
    "f_reports": 6.0,
    "f_alerts": 3.0,
    "f_export": 2.5,
    "f_workflow": 3.0,
    "f_ai_assist": 2.0,
    "f_api": 2.0,
    "f_sso": 0.3,
}

# Event names (Segment track calls). Index = the event code used inside the vectorised generator.
EVENT_NAMES: tuple[str, ...] = (
    "Logged In",
    "Page Viewed",
    "Feature Used",
    "Report Created",
    "Search Performed",
    "Comment Added",
    "Settings Updated",
    "Initial Setup Completed",
    "Tutorial Finished",
    "Email Sent",
    "Background Job Finished",
)
EV = {name: code for code, name in enumerate(EVENT_NAMES)}
SYSTEM_EVENTS = ("Email Sent", "Background Job Finished")
ONBOARDING_MILESTONES = ("Initial Setup Completed", "Logged In", "Tutorial Finished", "Report Created")
SETTINGS_ITEMS = ("sso", "slack_integration", "user_invite", "billing_contact")

# Pre-rendered `properties` JSON strings; index = property code. Code 0 = no properties (null).
PROPERTY_TEMPLATES: tuple[str | None, ...] = (
    None,
    '{"method":"password"}',
    '{"method":"sso"}',
    '{"path":"/home"}',
    '{"path":"/dashboards"}',
    '{"path":"/reports"}',
    '{"path":"/settings"}',
    '{"report_type":"summary"}',
    '{"report_type":"trend"}',
    '{"template":"weekly_digest"}',
    '{"template":"alert_notification"}',
    '{"job":"data_sync"}',
    '{"job":"scheduled_export"}',
    '{"tutorial":"getting_started"}',
    *(f'{{"item":"{item}"}}' for item in SETTINGS_ITEMS),
)
PROP = {text: code for code, text in enumerate(PROPERTY_TEMPLATES) if text}
SETTINGS_PROP = {item: PROP[f'{{"item":"{item}"}}'] for item in SETTINGS_ITEMS}

INDUSTRIES = (
    "Manufacturing",
    "Retail",
    "Information Technology",
    "Financial Services",
    "Healthcare",
    "Construction",
    "Logistics",
    "Education",
    "Real Estate",
    "Hospitality",
)

# Weighted toward the metropolitan areas where most B2B SaaS customers in Japan are billed.
MAJOR_PREFECTURES: tuple[tuple[str, float], ...] = (
    ("東京都", 0.42),
    ("大阪府", 0.13),
    ("神奈川県", 0.08),
    ("愛知県", 0.07),
    ("福岡県", 0.05),
)
