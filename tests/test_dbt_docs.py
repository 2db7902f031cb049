"""The dbt docs page (`make docs`) shows each Japanese label at the start of its description."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cs_warehouse.cli import main
from cs_warehouse.settings import PROJECT_DIR
from cs_warehouse.tooling.dbt_docs import PLACEHOLDERS, TEMPLATE, DocsError, labelled, with_labels, write_static

TEMPLATE_TEXT = (
    '<html><script>var n={manifest:"MANIFEST.JSON INLINE DATA",catalog:"CATALOG.JSON INLINE DATA"};</script>'
)


def _manifest() -> dict:
    return {
        "nodes": {
            "model.p.mart_x": {
                "name": "mart_x",
                "description": "Revenue per month.",
                "config": {"meta": {"label_ja": "月次売上"}},
                "columns": {
                    "mrr": {"description": "MRR at month end.", "config": {"meta": {"label_ja": "MRR"}}},
                    "churned_mrr": {"description": "MRR lost.", "meta": {"label_ja": "解約MRR"}},
                    "note": {"description": "No label here </script><b>.", "config": {"meta": {}}},
                    "plan": {"description": "", "config": {"meta": {"label_ja": "プラン"}}},
                },
            },
            "model.p.mart_y": {
                "name": "mart_y",
                "description": "MRR増減内訳 (MRR movements).",
                "config": {"meta": {"label_ja": "MRR増減内訳"}},
                "columns": {},
            },
        },
        "sources": {
            "source.p.raw.accounts": {
                "description": "Accounts as loaded.",
                "meta": {"label_ja": "顧客（取込）"},
                "columns": {"segment": {"description": "CRM segment.", "meta": {"label_ja": "セグメント"}}},
            }
        },
    }


def test_descriptions_begin_with_their_japanese_label() -> None:
    manifest = _manifest()
    original = json.dumps(manifest, sort_keys=True)
    out = with_labels(manifest)
    x = out["nodes"]["model.p.mart_x"]
    assert x["description"] == "【月次売上】 Revenue per month."
    assert x["columns"]["mrr"]["description"] == "【MRR】 MRR at month end."
    assert x["columns"]["churned_mrr"]["description"] == "【解約MRR】 MRR lost."  # label in the column's meta
    assert x["columns"]["note"]["description"] == "No label here </script><b>."  # no label: unchanged
    assert x["columns"]["plan"]["description"] == "【プラン】"  # no description: the label alone
    # a label that the description begins with still leads it; one already in 【】 is not repeated
    assert out["nodes"]["model.p.mart_y"]["description"] == "【MRR増減内訳】 MRR増減内訳 (MRR movements)."
    assert with_labels(out) == out
    source = out["sources"]["source.p.raw.accounts"]
    assert source["description"] == "【顧客（取込）】 Accounts as loaded."
    assert source["columns"]["segment"]["description"] == "【セグメント】 CRM segment."
    assert json.dumps(manifest, sort_keys=True) == original  # the input is not changed


def test_labelled_without_a_label_keeps_the_text() -> None:
    assert labelled("Text.", "") == "Text."
    assert labelled(None, "") == ""


def _inlined(page: str) -> tuple[dict, dict]:
    """The manifest and catalog of a page made from TEMPLATE_TEXT."""
    body = page.removeprefix("<html><script>var n={manifest:").removesuffix("};</script>")
    manifest, catalog = body.split(",catalog:")
    return json.loads(manifest), json.loads(catalog)


def test_the_static_page_inlines_the_labelled_manifest_and_the_catalog(tmp_path: Path) -> None:
    template = tmp_path / "index.html"
    template.write_text(TEMPLATE_TEXT, encoding="utf-8")
    target = tmp_path / "target"
    target.mkdir()
    manifest_text = json.dumps(_manifest(), ensure_ascii=False)
    (target / "manifest.json").write_text(manifest_text, encoding="utf-8")
    catalog = {"nodes": {"model.p.mart_x": {"columns": {"mrr": {"type": "DECIMAL(18,2)", "comment": "c"}}}}}
    (target / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")

    page = write_static(target, template).read_text(encoding="utf-8")

    assert page.startswith("<html><script>var n={manifest:{") and page.endswith("};</script>")
    assert "INLINE DATA" not in page
    # text of a description cannot close the page's script: "</" is written "<\/", the same JSON string
    assert page.count("</script>") == 1
    inlined, inlined_catalog = _inlined(page)
    assert inlined == with_labels(_manifest())
    assert inlined["nodes"]["model.p.mart_x"]["columns"]["mrr"]["description"] == "【MRR】 MRR at month end."
    assert inlined["nodes"]["model.p.mart_x"]["columns"]["note"]["description"] == "No label here </script><b>."
    assert inlined_catalog == catalog
    assert (target / "manifest.json").read_text(encoding="utf-8") == manifest_text  # dbt's artifact unchanged


def test_missing_artifacts_say_how_to_make_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")
    with pytest.raises(DocsError, match=re.escape(f"{tmp_path / 'catalog.json'} is missing: run `dbt docs generate`")):
        write_static(tmp_path)
    assert main(["docs", "static-page", "--target-dir", str(tmp_path)]) == 1
    assert "catalog.json is missing" in capsys.readouterr().err
    assert not (tmp_path / "static_index.html").exists()


def test_a_page_without_the_placeholders_is_refused(tmp_path: Path) -> None:
    for name in PLACEHOLDERS:
        (tmp_path / name).write_text("{}", encoding="utf-8")
    template = tmp_path / "index.html"
    template.write_text("<html></html>", encoding="utf-8")
    with pytest.raises(DocsError, match="does not hold"):
        write_static(tmp_path, template)


def test_dbts_docs_page_holds_each_placeholder_once() -> None:
    page = TEMPLATE.read_text(encoding="utf-8")
    assert [page.count(p) for p in PLACEHOLDERS.values()] == [1, 1]


def test_the_projects_mart_columns_show_their_labels() -> None:
    """On the project's own manifest (`dbt parse`): labels of the revenue marts (mart_mrr_movements) and usage marts."""
    path = PROJECT_DIR / "target" / "manifest.json"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `dbt parse` first (the Makefile's test targets do)")
    nodes = with_labels(json.loads(path.read_text(encoding="utf-8")))["nodes"]
    movements = nodes["model.cs_warehouse.mart_mrr_movements"]["columns"]
    assert (
        movements["mrr_start"]["description"]
        == "【期首MRR】 MRR at the end of the previous month, reporting currency (JPY)."
    )
    usage = nodes["model.cs_warehouse.mart_usage_daily"]["columns"]
    assert (
        usage["dau_mau_ratio"]["description"]
        == "【DAU/MAU比】 dau / mau of the day (a daily view of stickiness), fraction."
    )
    assert usage["dau"]["description"] == "【DAU】 Users active on the day."
    # descriptions cited from a {% docs %} block (models/docs/columns.md) carry the block's text, not the jinja
    assert movements["account_id"]["description"] == "【アカウントID】 CRM account id."
    assert movements["tenure_band"]["description"] == (
        "【利用期間区分】 Tenure band at the start of the month: 0-3, 4-6, 7-12, 13-24 or 25+ whole months since the"
        " first paid month; null before the account's first paid month has ended."
    )
    unrendered = [
        f"{key}.{name}"
        for key, node in nodes.items()
        for name, column in (node.get("columns") or {}).items()
        if "{{" in column.get("description", "") or "doc(" in column.get("description", "")
    ]
    assert unrendered == []
