"""Render docs/kpis.md, the KPI reference, from the models' yml (`cs-warehouse docs kpis`).

The yml under models/ is read directly (no dbt parse). A model documents its KPIs in `config.meta`:
`label_en` (English name), `grain`, `kpi_section` (revenue, usage, voice, health, cs_operations),
`public_table: true` for the tables of the BI contract, and `kpis`: KPI key -> `label` (English), optional
`label_ja`, `grain`, `kpi_section` and `definition`. A missing `label_ja` or `definition` comes from the
model's column of that name (its `label_ja` and description), a missing `label_ja` last from the model; a
missing `grain` or `kpi_section` from the model. The Markdown is generated, never edited by hand; a test
fails when it falls behind the yml.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from cs_warehouse.settings import PROJECT_DIR

MODELS_DIR = PROJECT_DIR / "models"
DOC_PATH = PROJECT_DIR / "docs" / "kpis.md"

SECTIONS = {
    "revenue": "Revenue and contract KPIs",
    "usage": "Product usage KPIs",
    "voice": "Voice of the customer and support",
    "health": "Account health and action",
    "cs_operations": "CS operations: touches, alert follow-up, team efficiency",
}

INTRO = """# KPI reference

Generated from the models' yml (`models/**/*.yml`) by `cs-warehouse docs kpis`; edit the yml, not
this file. Each KPI below names the model that publishes it; the column-level documentation of every model
is in the dbt docs (`make docs`). The policy settings named here are dbt vars in `dbt_project.yml` and seeds
in `seeds/`; change a setting there, not in the SQL.

## Conventions

- **Days and months** are cut in the reporting time zone (var `reporting_timezone`, `Asia/Tokyo`); timestamps
  are stored in UTC.
- **Fiscal year** starts in the month of var `fiscal_year_start_month` (4, April) and is named by the calendar
  year it starts in; monthly tables carry `fiscal_year` and `fiscal_quarter` (1-4 from the fiscal year's
  first month).
- **Customer**: the CRM account. Every account-level KPI counts accounts, not contracts or users.
- **Currency**: amounts are in the reporting currency (var `reporting_currency`, JPY). Other currencies
  convert through the seed `fx_rates`; a missing rate fails a data test instead of leaving a null amount.
- **Rates** are fractions (0.0427 is 4.27 %); NPS runs from -100 to 100.

### Month MRR snapshot

An account's MRR for a month is the sum of the monthly amounts of its contract items active on the last day
of the month (started on or before it and not ended by it; for the running month, the as-of day). An annual
amount counts one twelfth a month; trials and items with no amount count 0. ARR is 12 x MRR.

### S(m), the start-of-month base

S(m) is the set of accounts that were customers at the end of the month before m: MRR above 0 (with
`free_plan_is_churn` false, former payers on a free plan as well). Churn, retention, upsell and cross-sell
rates of month m are shares of S(m): an account won during the month never enters their denominator.

### Incomplete periods

A period that is not over on the as-of day (the running month, or a cohort younger than its window) carries
`is_complete = false`; its rates are null or left out unless a view asks for incomplete periods.

### Policy settings

- A cancelled contract keeps counting until the end of the period it is paid for (the account is pending
  cancellation meanwhile); churn is recognised then.
- Moving from a paid to a free plan is churn (var `free_plan_is_churn`, true).
- An account past due on payment stays active (var `past_due_churn_after_days`, null: never churned for it).
- Accounts that churned and came back count in the 12-month NRR (var `nrr_includes_reactivated`, true).
- A renewal counts when the successor contract starts within var `renewal_grace_days` (30) days.
- LTV uses the gross margin of var `gross_margin` (0.8).
"""


@dataclass(frozen=True)
class Model:
    name: str
    path: str
    description: str
    meta: dict
    columns: dict[str, dict]

    @property
    def label_ja(self) -> str:
        return str(self.meta.get("label_ja") or "")

    @property
    def label_en(self) -> str:
        return str(self.meta.get("label_en") or self.name)


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    label_ja: str
    grain: str
    section: str
    definition: str
    model: Model


def _clean(text: object) -> str:
    return " ".join(str(text or "").split())


def _meta(node: dict) -> dict:
    return (node.get("config") or {}).get("meta") or node.get("meta") or {}


def load_models(models_dir: Path = MODELS_DIR) -> list[Model]:
    """Every model of the yml files under models/ that documents a grain or KPIs, marts before the rest."""
    found = []
    for path in sorted(models_dir.rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for node in doc.get("models") or []:
            meta = _meta(node)
            if not (meta.get("kpis") or meta.get("grain")):
                continue
            columns = {c["name"]: c for c in node.get("columns") or []}
            rel = path.relative_to(models_dir.parent).as_posix()
            found.append(Model(node["name"], rel, _clean(node.get("description")), meta, columns))
    return sorted(found, key=lambda m: (not m.path.startswith("models/marts/"), m.path))


def columns_without_label_ja(models_dir: Path = MODELS_DIR) -> list[str]:
    """`file: model.column` of every mart column (models/marts/**/*.yml) with no or an empty `label_ja`.

    Every mart column carries its Japanese label in `config.meta.label_ja`: the report, BI tools and the dbt
    docs (`make docs`) show it.
    """
    missing = []
    for path in sorted((models_dir / "marts").rglob("*.yml")):
        rel = path.relative_to(models_dir.parent).as_posix()
        for node in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            for column in node.get("columns") or []:
                if not str(_meta(column).get("label_ja") or "").strip():
                    missing.append(f"{rel}: {node['name']}.{column['name']}")
    return missing


def kpis_of(model: Model) -> list[Kpi]:
    result = []
    for key, entry in (model.meta.get("kpis") or {}).items():
        entry = entry or {}
        column = model.columns.get(key) or {}
        label_ja = entry.get("label_ja") or _meta(column).get("label_ja") or model.label_ja
        definition = entry.get("definition") or column.get("description")
        if not definition:
            raise ValueError(
                f"{model.path}: model {model.name}, KPI {key}: no `definition` and no documented column named {key}"
            )
        section = entry.get("kpi_section") or model.meta.get("kpi_section")
        if section not in SECTIONS:
            raise ValueError(
                f"{model.path}: model {model.name}, KPI {key}: kpi_section {section!r} is not one of "
                f"{', '.join(SECTIONS)}"
            )
        if not entry.get("label"):
            raise ValueError(f"{model.path}: model {model.name}, KPI {key}: `label` (English name) is missing")
        grain = entry.get("grain") or model.meta.get("grain")
        if not grain:
            raise ValueError(f"{model.path}: model {model.name}, KPI {key}: no grain (KPI or model meta)")
        result.append(
            Kpi(key, _clean(entry["label"]), _clean(label_ja), _clean(grain), section, _clean(definition), model)
        )
    return result


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _section(title: str, kpis: list[Kpi]) -> str:
    lines = [f"## {title}", "", "| key | KPI | 日本語 | grain | model |", "|---|---|---|---|---|"]
    lines += [
        f"| `{k.key}` | {_cell(k.label)} | {_cell(k.label_ja)} | {_cell(k.grain)} | `{k.model.name}` |" for k in kpis
    ]
    keys = list(dict.fromkeys(k.key for k in kpis))
    for key in keys:
        same = [k for k in kpis if k.key == key]
        lines += ["", f"### `{key}` — {same[0].label} ({same[0].label_ja})", ""]
        for k in same:
            lines.append(f"- `{k.model.name}`, per {k.grain}: {k.definition}")
    return "\n".join(lines) + "\n"


def _public_tables(models: list[Model]) -> str:
    lines = [
        "## Public tables",
        "",
        "The stable face of the warehouse (the BI contract): dashboards, the report, the semantic layer and",
        "outside checks read these tables, so their names and columns do not change (dbt contracts enforce",
        "them on DuckDB and PostgreSQL). Other marts sit beside them.",
        "",
        "| table | 日本語 | grain |",
        "|---|---|---|",
    ]
    lines += [f"| `{m.name}` | {m.label_ja} | {m.meta['grain']} |" for m in models if m.meta.get("public_table")]
    return "\n".join(lines) + "\n"


def _models(models: list[Model]) -> str:
    lines = ["## Models", "", "What each model holds (its yml description), with the KPIs it publishes."]
    for m in models:
        keys = ", ".join(f"`{k}`" for k in m.meta.get("kpis") or {}) or "none of its own"
        public = " Public table." if m.meta.get("public_table") else ""
        lines += [
            "",
            f"### `{m.name}` — {m.label_en} ({m.label_ja or '-'})",
            "",
            f"`{m.path}` · grain: {m.meta.get('grain', '-')} · KPIs: {keys}.{public}",
            "",
            m.description,
        ]
    return "\n".join(lines) + "\n"


def render(models: list[Model] | None = None) -> str:
    models = load_models() if models is None else models
    kpis = [k for m in models for k in kpis_of(m)]
    parts = [INTRO, _public_tables(models)]
    parts += [_section(title, [k for k in kpis if k.section == s]) for s, title in SECTIONS.items()]
    parts.append(_models(models))
    return "\n".join(parts)
