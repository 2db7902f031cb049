"""Render docs/kpis.md, the KPI reference, from the models' yml (`cs-warehouse docs kpis`).

The yml under models/ is read directly (no dbt parse); a description written as `{{ doc("name") }}` takes the
text of its `{% docs name %}` block (models/docs/*.md), as dbt renders it. A model documents its KPIs in `config.meta`:
`label_en` (English name), `grain`, `kpi_section` (revenue, usage, voice, health, cs_operations),
`public_table: true` for the tables of the BI contract, and `kpis`: KPI key -> `label` (English), optional
`label_ja`, `grain`, `kpi_section` and `definition`. A missing `label_ja` or `definition` comes from the
model's column of that name (its `label_ja` and description), a missing `label_ja` last from the model; a
missing `grain` or `kpi_section` from the model. The Markdown is generated, never edited by hand; a test
fails when it falls behind the yml.
"""

from __future__ import annotations

import re
from collections import Counter
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


DOC_CALL = re.compile(r"""\{\{\s*doc\(\s*['"]([^'"]+)['"]\s*\)\s*\}\}""")
DOC_BLOCK = re.compile(r"\{%-?\s*docs\s+(\w+)\s*-?%\}(.*?)\{%-?\s*enddocs\s*-?%\}", re.S)


def load_doc_blocks(models_dir: Path = MODELS_DIR) -> dict[str, str]:
    """`{% docs name %}` blocks of the Markdown files under models/: name -> text."""
    blocks: dict[str, str] = {}
    for path in sorted(models_dir.rglob("*.md")):
        for name, text in DOC_BLOCK.findall(path.read_text(encoding="utf-8")):
            if name in blocks:
                rel = path.relative_to(models_dir.parent).as_posix()
                raise ValueError(f"{rel}: docs block {name} is defined twice")
            blocks[name] = text.strip()
    return blocks


def render_doc_calls(text: object, blocks: dict[str, str], where: str) -> str:
    """The description with each `{{ doc("name") }}` replaced by its block's text."""

    def block(match: re.Match[str]) -> str:
        if match.group(1) not in blocks:
            raise ValueError(f"{where}: doc({match.group(1)!r}) names no {{% docs %}} block under models/")
        return blocks[match.group(1)]

    return DOC_CALL.sub(block, str(text or ""))


def load_models(models_dir: Path = MODELS_DIR) -> list[Model]:
    """Every model of the yml files under models/ that documents a grain or KPIs, marts before the rest."""
    found = []
    blocks = load_doc_blocks(models_dir)
    for path in sorted(models_dir.rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        rel = path.relative_to(models_dir.parent).as_posix()
        for node in doc.get("models") or []:
            meta = _meta(node)
            if not (meta.get("kpis") or meta.get("grain")):
                continue
            where = f"{rel}: model {node['name']}"
            columns = {
                c["name"]: {**c, "description": render_doc_calls(c.get("description"), blocks, f"{where}.{c['name']}")}
                for c in node.get("columns") or []
            }
            description = render_doc_calls(node.get("description"), blocks, where)
            found.append(Model(node["name"], rel, _clean(description), meta, columns))
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


# Column names that carry different labels in different marts on purpose: they name different concepts there.
# Column name -> label -> what it means in the marts that use it.
DELIBERATE_LABEL_VARIANTS: dict[str, dict[str, str]] = {
    "active_accounts": {
        "アクティブ顧客数": "accounts with an active user in the month (mart_kpi_monthly)",
        "継続顧客数": "cohort accounts still paying at the end of the cell month (mart_cohort_retention)",
    },
    "churned_accounts": {
        "解約顧客数": "accounts with a churn movement in the month",
        "判定期間内解約顧客数": "accounts that stopped paying within health_backtest_horizon_days (the backtests)",
    },
    "churned_episodes": {
        "90日内解約件数": "alert episodes churned within alert_outcome_churn_days (mart_alert_outcomes)",
        "判定期間内解約件数": "alert episodes churned within health_backtest_horizon_days (mart_alert_type_backtest)",
    },
    "cohort_month": {
        "コホート月": "account cohort month",
        "コホート月（登録月）": "user registration cohort month (mart_time_to_first_action_user)",
    },
    "is_acted": {
        "対応あり": "an activity within the follow-up window (mart_alert_followup)",
        "SLA内対応": "a completed activity within the SLA (mart_alert_outcomes)",
    },
    "month": {
        "月": "the calendar month of the row",
        "分析月": "the as-of month of an analysis (mart_early_signal_lift)",
    },
}


def conflicting_labels(
    models_dir: Path = MODELS_DIR, variants: dict[str, dict[str, str]] = DELIBERATE_LABEL_VARIANTS
) -> list[str]:
    """Mart column names labelled differently across the marts, beyond `variants`, one line per column name.

    A column name means one concept and carries one `label_ja` in every mart (models/marts/**/*.yml), unless
    its labels are all listed in `variants` as deliberately different concepts. A listed label no mart uses is
    reported too, so the list stays true.
    """
    seen: dict[str, dict[str, list[str]]] = {}
    for path in sorted((models_dir / "marts").rglob("*.yml")):
        for node in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            for column in node.get("columns") or []:
                label = str(_meta(column).get("label_ja") or "").strip()
                if label:
                    seen.setdefault(column["name"], {}).setdefault(label, []).append(node["name"])
    problems = []
    for name, labels in sorted(seen.items()):
        allowed = variants.get(name, {})
        if len(labels) > 1 and not set(labels) <= set(allowed):
            found = "; ".join(f"{label} ({', '.join(models)})" for label, models in labels.items())
            problems.append(f"{name}: {found}")
    for name, allowed in sorted(variants.items()):
        for label in sorted(set(allowed) - set(seen.get(name, {}))):
            problems.append(f"{name}: listed variant {label} is not used by any mart")
    return problems


def repeated_descriptions(models_dir: Path = MODELS_DIR, at_least: int = 3) -> list[str]:
    """Column descriptions written out verbatim `at_least` times or more in the yml under models/.

    A description shared that often lives once in a `{% docs %}` block (models/docs/*.md) and the yml cites it
    (`description: '{{ doc("col_account_id") }}'`); citations are not counted. One line per text, with its uses.
    """
    uses: dict[str, list[str]] = {}
    for path in sorted(models_dir.rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        nodes = [(n["name"], n.get("columns") or []) for n in doc.get("models") or []]
        nodes += [(t["name"], t.get("columns") or []) for s in doc.get("sources") or [] for t in s.get("tables") or []]
        for name, columns in nodes:
            for column in columns:
                text = _clean(column.get("description"))
                if text and not DOC_CALL.fullmatch(text):
                    uses.setdefault(text, []).append(f"{name}.{column['name']}")
    counts = Counter({text: len(where) for text, where in uses.items()})
    return [f"{text!r}: {n} uses ({', '.join(uses[text])})" for text, n in counts.most_common() if n >= at_least]


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
