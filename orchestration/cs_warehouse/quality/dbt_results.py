"""The dbt nodes of a build that did not pass, read from dbt's `target/run_results.json`.

A data test of severity `warn` that finds rows ends with status `warn` and does not fail `dbt build`; the
clean-build check (`cs-warehouse quality --fail-on-warnings --dbt-run-results …`) counts those too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# Statuses of a node that ran and is fine: models and seeds `success`, tests `pass`, exposures `no-op`.
PASSED = frozenset({"success", "pass", "no-op"})


@dataclass(frozen=True)
class DbtIssue:
    unique_id: str
    status: str
    failures: int | None
    message: str | None

    def __str__(self) -> str:
        rows = f" ({self.failures} rows)" if self.failures else ""
        return f"{self.status}: {self.unique_id}{rows} {self.message or ''}".rstrip()


def dbt_issues(run_results: Path) -> list[DbtIssue]:
    """Every node of the run whose status is not a pass: `warn` tests, and failures, errors or skips."""
    try:
        results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    except FileNotFoundError:
        raise FileNotFoundError(f"{run_results}: no dbt run results (run dbt build first)") from None
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{run_results}: not a dbt run_results.json ({exc})") from None
    return [
        DbtIssue(r["unique_id"], r["status"], r.get("failures"), r.get("message"))
        for r in results
        if r["status"] not in PASSED
    ]
