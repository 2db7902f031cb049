"""Every suite, by the asset key it guards: raw entities from the contract, marts from `marts.py`."""

from __future__ import annotations

from cs_warehouse.quality.spec import Suite
from cs_warehouse.quality.suites.marts import generic_model_suite, mart_suites, model_columns
from cs_warehouse.quality.suites.raw import raw_suites


def all_suites() -> dict[tuple[str, ...], Suite]:
    return {suite.asset_key: suite for suite in [*raw_suites(), *mart_suites()]}


__all__ = ["all_suites", "generic_model_suite", "model_columns"]
