"""docs/kpis.md is generated from the models' yml and stays in step with it."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from cs_warehouse.tooling.kpi_docs import (
    DOC_CALL,
    DOC_PATH,
    MODELS_DIR,
    columns_without_label_ja,
    conflicting_labels,
    kpis_of,
    load_doc_blocks,
    load_models,
    render,
    repeated_descriptions,
)


def test_generated_doc_is_up_to_date() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render(), "docs/kpis.md is stale: run `cs-warehouse docs kpis`"


def test_every_mart_is_documented_and_the_public_tables_are_marked() -> None:
    marts = set()
    for path in (MODELS_DIR / "marts").rglob("*.yml"):
        marts |= {node["name"] for node in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []}
    documented = {m.name: m for m in load_models()}
    assert marts - set(documented) == set(), "marts without a grain or KPIs in their yml meta"
    public = {name for name, m in documented.items() if m.meta.get("public_table")}
    assert public == {"mart_kpi_monthly", "mart_mrr_movements", "mart_churn_by_plan_tenure", "customer_360"}


def test_every_mart_column_has_a_japanese_label() -> None:
    assert columns_without_label_ja() == [], "mart columns without config.meta.label_ja (file: model.column)"


def test_a_missing_or_empty_japanese_label_is_named_by_file_model_and_column(tmp_path: Path) -> None:
    model = {
        "name": "mart_x",
        "columns": [
            {"name": "labelled", "config": {"meta": {"label_ja": "ラベル"}}},
            {"name": "no_meta", "description": "d"},
            {"name": "blank", "config": {"meta": {"label_ja": "  "}}},
            {"name": "other_meta", "config": {"meta": {"label_en": "English only"}}},
        ],
    }
    models_dir = _write_models(tmp_path, model)
    (models_dir / "staging").mkdir()
    (models_dir / "staging" / "_s.yml").write_text(
        yaml.safe_dump({"version": 2, "models": [{"name": "stg_x", "columns": [{"name": "c"}]}]})
    )
    assert columns_without_label_ja(models_dir) == [
        "models/marts/_m.yml: mart_x.no_meta",
        "models/marts/_m.yml: mart_x.blank",
        "models/marts/_m.yml: mart_x.other_meta",
    ]


def test_one_column_name_carries_one_japanese_label_across_the_marts() -> None:
    assert conflicting_labels() == [], (
        "column names labelled differently across marts: use one label, or list the variants in "
        "kpi_docs.DELIBERATE_LABEL_VARIANTS when they are different concepts"
    )


def test_differing_labels_are_named_unless_listed_as_deliberate(tmp_path: Path) -> None:
    def col(name: str, label: str) -> dict:
        return {"name": name, "config": {"meta": {"label_ja": label}}}

    models_dir = tmp_path / "models"
    (models_dir / "marts" / "a").mkdir(parents=True)
    one = {"name": "mart_one", "columns": [col("seats", "契約席数"), col("month", "月"), col("cohort", "コホート月")]}
    two = {"name": "mart_two", "columns": [col("seats", "契約シート数"), col("month", "月"), col("cohort", "登録月")]}
    three = {"name": "mart_three", "columns": [col("seats", "契約シート数")]}
    (models_dir / "marts" / "_m.yml").write_text(yaml.safe_dump({"models": [one, two]}, allow_unicode=True))
    (models_dir / "marts" / "a" / "_a.yml").write_text(yaml.safe_dump({"models": [three]}, allow_unicode=True))
    variants = {"cohort": {"コホート月": "accounts", "登録月": "users"}, "month": {"月": "m", "分析月": "as-of"}}
    assert conflicting_labels(models_dir, variants) == [
        "seats: 契約席数 (mart_one); 契約シート数 (mart_two, mart_three)",
        "month: listed variant 分析月 is not used by any mart",
    ]


def test_kpis_cited_across_the_project_are_in_the_reference() -> None:
    keys = {k.key for m in load_models() for k in kpis_of(m)}
    for key in ("mrr", "logo_churn_rate", "nrr_12m", "grr_12m", "renewal_rate_logo", "dau", "sessions",
                "onboarding_completion_rate", "nps", "csat", "support", "health_score", "churn_risk_alerts",
                "touch_tier", "customer_360", "kpi_targets"):  # fmt: skip
        assert key in keys, key


def _write_models(tmp_path: Path, model: dict) -> Path:
    models = tmp_path / "models" / "marts"
    models.mkdir(parents=True)
    (models / "_m.yml").write_text(yaml.safe_dump({"version": 2, "models": [model]}, allow_unicode=True))
    return tmp_path / "models"


def test_label_and_definition_fall_back_to_the_column(tmp_path: Path) -> None:
    model = {
        "name": "mart_x",
        "description": "Example mart.",
        "config": {"meta": {"label_ja": "例", "grain": "month", "kpi_section": "revenue",
                            "kpis": {"x_rate": {"label": "X rate"},
                                     "y_count": {"label": "Y count", "label_ja": "Y件数", "definition": "Own words.",
                                                 "grain": "day", "kpi_section": "usage"}}}},
        "columns": [{"name": "x_rate", "description": "a / b.", "config": {"meta": {"label_ja": "X率"}}}],
    }  # fmt: skip
    [loaded] = load_models(_write_models(tmp_path, model))
    x, y = kpis_of(loaded)
    assert (x.key, x.label, x.label_ja, x.definition, x.grain, x.section) == (
        "x_rate",
        "X rate",
        "X率",
        "a / b.",
        "month",
        "revenue",
    )
    assert (y.label_ja, y.definition, y.grain, y.section) == ("Y件数", "Own words.", "day", "usage")
    text = render([loaded])
    assert "| `x_rate` | X rate | X率 | month | `mart_x` |" in text
    assert "- `mart_x`, per day: Own words." in text


@pytest.mark.parametrize(
    ("kpi", "message"),
    [
        ({"label": "Z"}, "KPI z: no `definition` and no documented column named z"),
        ({"definition": "d"}, "KPI z: `label` (English name) is missing"),
        ({"label": "Z", "definition": "d", "kpi_section": "other"}, "KPI z: kpi_section 'other'"),
    ],
)
def test_an_incomplete_kpi_entry_is_an_error_naming_the_file_model_and_key(
    tmp_path: Path, kpi: dict, message: str
) -> None:
    model = {"name": "mart_z", "config": {"meta": {"grain": "month", "kpi_section": "health", "kpis": {"z": kpi}}}}
    [loaded] = load_models(_write_models(tmp_path, model))
    with pytest.raises(ValueError, match=re.escape("models/marts/_m.yml: model mart_z, " + message)):
        kpis_of(loaded)


def test_no_column_description_is_written_out_three_times() -> None:
    assert repeated_descriptions() == [], "put these in a {% docs %} block (models/docs/*.md) and cite it with doc()"


def test_each_docs_block_is_cited_three_times_or_more_and_every_citation_has_its_block() -> None:
    cited = Counter(
        name for path in MODELS_DIR.rglob("*.yml") for name in DOC_CALL.findall(path.read_text(encoding="utf-8"))
    )
    blocks = load_doc_blocks()
    assert set(cited) - set(blocks) == set(), "doc() citations without a {% docs %} block"
    assert {name: n for name, n in cited.items() if n < 3} == {}, "blocks are for descriptions used 3+ times"
    assert set(blocks) - set(cited) == set(), "docs blocks no yml cites"


def test_repeated_descriptions_are_counted_over_models_and_sources_but_not_citations(tmp_path: Path) -> None:
    models_dir = tmp_path / "models"
    (models_dir / "staging").mkdir(parents=True)
    same = "CRM account id."
    (models_dir / "_a.yml").write_text(
        yaml.safe_dump(
            {
                "models": [
                    {"name": "m1", "columns": [{"name": "account_id", "description": same}, {"name": "x"}]},
                    {"name": "m2", "columns": [{"name": "id", "description": "  CRM account\n id. "}]},
                    {"name": "m3", "columns": [{"name": "account_id", "description": '{{ doc("col_account_id") }}'}]},
                    {"name": "m4", "columns": [{"name": "month", "description": "First day."}]},
                    {"name": "m5", "columns": [{"name": "month", "description": "First day."}]},
                ]
            }
        )
    )
    table = {"name": "accounts", "columns": [{"name": "a", "description": same}]}
    (models_dir / "staging" / "_s.yml").write_text(yaml.safe_dump({"sources": [{"name": "raw", "tables": [table]}]}))
    assert repeated_descriptions(models_dir) == ["'CRM account id.': 3 uses (m1.account_id, m2.id, accounts.a)"]
    assert repeated_descriptions(models_dir, at_least=2) == [
        "'CRM account id.': 3 uses (m1.account_id, m2.id, accounts.a)",
        "'First day.': 2 uses (m4.month, m5.month)",
    ]


def test_a_cited_docs_block_gives_the_kpi_its_text(tmp_path: Path) -> None:
    model = {
        "name": "mart_x",
        "config": {"meta": {"grain": "month", "kpi_section": "revenue", "kpis": {"x_rate": {"label": "X rate"}}}},
        "columns": [{"name": "x_rate", "description": '{{ doc("col_x_rate") }} Null while incomplete.'}],
    }
    models_dir = _write_models(tmp_path, model)
    (models_dir / "docs").mkdir()
    (models_dir / "docs" / "c.md").write_text("{% docs col_x_rate %}\na / b,\nfraction.\n{% enddocs %}\n")
    [x] = kpis_of(load_models(models_dir)[0])
    assert x.definition == "a / b, fraction. Null while incomplete."
    (models_dir / "docs" / "c.md").write_text("{% docs col_y %}y{% enddocs %}")
    with pytest.raises(ValueError, match=re.escape("models/marts/_m.yml: model mart_x.x_rate: doc('col_x_rate')")):
        load_models(models_dir)
