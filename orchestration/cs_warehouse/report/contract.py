"""The marts' contracts as dbt parsed them (target/manifest.json): their columns and labels.

Every mart the report reads has an enforced contract, so the columns its yml declares are the columns the
built table has. The report names the columns it reads (`data.READS`); `Contracts.check` fails when one is not
declared by the mart's contract or is not in the serving copy, so a renamed column stops the nightly run with
the mart and column named instead of blanking a chart.

Labels come from the same yml: `label_ja` of a column (or of a model); in English the label of the semantic
metric of the same name (the short form BI shows), else the KPI `label` the model declares under `meta.kpis`,
else the column name.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cs_warehouse.settings import PROJECT_DIR

# Words written in capitals when an English label is made from a column name.
ACRONYMS = {"arr", "mrr", "csm", "id", "nps", "nrr", "grr", "dau", "mau", "kpi", "csat"}


class ReportContractError(RuntimeError):
    """The serving copy or the manifest does not hold a mart column the report reads."""


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str | None
    label_ja: str | None
    label_en: str | None


@dataclass(frozen=True)
class Mart:
    name: str
    enforced: bool
    label_ja: str | None
    label_en: str | None
    columns: dict[str, Column] = field(default_factory=dict)


def _meta(node: Mapping[str, Any]) -> dict[str, Any]:
    return {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}


def humanize(name: str) -> str:
    words = [w.upper() if w in ACRONYMS else w for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Contracts:
    marts: dict[str, Mart]
    source: str
    seeds: dict[str, Path] = field(default_factory=dict)  # seed name -> its CSV file

    @classmethod
    def from_manifest(cls, path: Path) -> Contracts:
        if not path.is_file():
            raise ReportContractError(f"no dbt manifest at {path}: run `dbt parse` (make run does) before the report")
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")), str(path))

    @classmethod
    def from_dict(cls, manifest: Mapping[str, Any], source: str = "manifest") -> Contracts:
        metric_labels = {m["name"]: m.get("label") for m in (manifest.get("metrics") or {}).values()}
        marts: dict[str, Mart] = {}
        seeds: dict[str, Path] = {}
        for node in (manifest.get("nodes") or {}).values():
            if node.get("resource_type") == "seed":
                # The project this package belongs to, else where dbt parsed it (a manifest made elsewhere).
                candidates = [PROJECT_DIR / node["original_file_path"]]
                candidates.append(Path(node.get("root_path") or PROJECT_DIR) / node["original_file_path"])
                seeds[node["name"]] = next((c for c in candidates if c.is_file()), candidates[0])
            if node.get("resource_type") != "model":
                continue
            meta = _meta(node)
            kpis = meta.get("kpis") or {}
            columns = {}
            for name, col in (node.get("columns") or {}).items():
                kpi = kpis.get(name) or {}
                columns[name] = Column(
                    name=name,
                    data_type=col.get("data_type"),
                    label_ja=_meta(col).get("label_ja") or kpi.get("label_ja"),
                    label_en=metric_labels.get(name) or kpi.get("label"),
                )
            enforced = bool(((node.get("config") or {}).get("contract") or {}).get("enforced"))
            marts[node["name"]] = Mart(node["name"], enforced, meta.get("label_ja"), meta.get("label_en"), columns)
        return cls(marts, source, seeds)

    def mart(self, name: str) -> Mart:
        mart = self.marts.get(name)
        if mart is None:
            raise ReportContractError(f"the report reads mart {name}, which is not a model of {self.source}")
        if not mart.enforced:
            raise ReportContractError(f"the report reads mart {name}, whose contract is not enforced ({self.source})")
        return mart

    def check(self, reads: Mapping[str, Iterable[str]], serving: Mapping[str, set[str]], serving_name: str) -> None:
        """Every column the report reads is declared by its mart's contract and present in the serving copy."""
        problems = []
        for name, columns in reads.items():
            mart = self.mart(name)
            undeclared = [c for c in columns if c not in mart.columns]
            if undeclared:
                problems += [
                    f"{name}.{c} is not declared by the contract of {name} ({self.source})" for c in undeclared
                ]
                continue
            if name not in serving:
                problems.append(f"mart {name} is not in the serving copy {serving_name}")
                continue
            problems += [
                f"mart {name} in the serving copy {serving_name} has no column {c}, which its contract declares"
                for c in columns
                if c not in serving[name]
            ]
        if problems:
            raise ReportContractError("the report cannot read its marts:\n  " + "\n  ".join(problems))

    def label(self, mart: str, column: str, lang: str) -> str:
        """A column's label from its yml; a column with no English label reads as its name."""
        col = self.mart(mart).columns.get(column)
        if col is None:
            raise ReportContractError(f"{mart}.{column} is not declared by the contract of {mart} ({self.source})")
        if lang == "ja" and col.label_ja:
            return col.label_ja
        return col.label_en or humanize(column)

    def mart_label(self, mart: str, lang: str) -> str:
        m = self.mart(mart)
        return (m.label_ja if lang == "ja" else m.label_en) or m.label_en or mart

    def seed_rows(self, name: str) -> list[dict[str, str]]:
        """The rows of a dbt seed, read from the CSV the manifest names (labels of coded values live there)."""
        path = self.seeds.get(name)
        if path is None or not path.is_file():
            raise ReportContractError(f"seed {name} is not in {self.source} or its file {path} is missing")
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    def _milestones(self) -> list[dict[str, str]]:
        return sorted(self.seed_rows("onboarding_milestones"), key=lambda r: r["valid_from_date"])

    def milestone_labels(self, lang: str) -> dict[str, str]:
        """Onboarding milestone code -> its name in the seed onboarding_milestones (the latest version's)."""
        column = "milestone_name_ja" if lang == "ja" else "milestone_name"
        return {r["milestone_code"]: r[column] for r in self._milestones() if r.get(column)}

    def milestone_order(self) -> dict[str, int]:
        """Onboarding milestone code -> its sort_order in the seed (the latest version's)."""
        return {r["milestone_code"]: int(r["sort_order"]) for r in self._milestones() if r.get("sort_order")}
