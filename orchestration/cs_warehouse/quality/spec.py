"""What a quality suite is: the asset it guards and the relations (table or SQL) it validates.

A suite is plain data so that it reads as a review of the rules: every expectation names a GX 1.x
Expectation class with its arguments and its own severity. `critical` failures block everything downstream
of the guarded asset; `warning` failures are recorded only.

Suites are declared without importing Great Expectations (several seconds of start-up): `gxe.ExpectX(...)`
here records the class name and the arguments, and the runner builds the GX object when the suite is
validated (`Expect.build`). Loading the Dagster definitions therefore never imports GX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FailureSeverity(StrEnum):
    """GX's failure severities (great_expectations.expectations.metadata_types.FailureSeverity), same values."""

    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


CRITICAL = FailureSeverity.CRITICAL
WARNING = FailureSeverity.WARNING


@dataclass(frozen=True, eq=True)
class Expect:
    """A GX expectation not built yet: its class name in `great_expectations.expectations` and its arguments."""

    type: str
    kwargs: dict[str, Any]

    def build(self) -> Any:
        """The GX Expectation object (imports Great Expectations)."""
        import great_expectations.expectations as real_gxe
        from great_expectations.expectations.metadata_types import FailureSeverity as GxSeverity

        kwargs = dict(self.kwargs)
        if "severity" in kwargs:
            kwargs["severity"] = GxSeverity(FailureSeverity(kwargs["severity"]).value)
        return getattr(real_gxe, self.type)(**kwargs)


class _Expectations:
    """`gxe.ExpectColumnValuesToNotBeNull(column="id", severity=CRITICAL)` -> an `Expect` of that class."""

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("Expect"):
            raise AttributeError(name)

        def declare(**kwargs: Any) -> Expect:
            return Expect(name, kwargs)

        return declare


gxe = _Expectations()


def expectation_type(expectation: Any) -> str:
    """The GX class name of an expectation, declared (`Expect`) or built."""
    return expectation.type if isinstance(expectation, Expect) else type(expectation).__name__


@dataclass(frozen=True)
class RowCountBounds:
    """Row count vs the previous successful run of the same relation: prev × min_ratio … prev × max_ratio."""

    min_ratio: float = 0.9
    max_ratio: float = 1.5
    severity: FailureSeverity = WARNING


@dataclass(frozen=True)
class Freshness:
    """The latest value of `column` is no older than `max_age_days` before the reference time."""

    column: str
    max_age_days: float
    severity: FailureSeverity = WARNING


@dataclass(frozen=True)
class Part:
    """One validated relation: a table of the warehouse or a SQL query over it (reconciliations).

    `sql` is the relation; `keys` name the columns reported for each failing row (the sample in the
    check metadata). Expectations are `Expect` declarations (or GX Expectation objects); the runner builds
    fresh GX objects for every run.

    `new_rows_sql`, for relations over the event history, is the same check restricted to the rows of loads
    after `{after}` (a quoted load id; quality/scope.py decides when): row-level expectations then read only
    those rows, while the table-level ones (row count, freshness) still read the whole relation.
    """

    name: str
    sql: str
    expectations: list[Any]
    keys: tuple[str, ...] = ()
    row_count: RowCountBounds | None = None
    freshness: Freshness | None = None
    new_rows_sql: str | None = None


@dataclass(frozen=True)
class Suite:
    """The suite guarding one asset. `name` is also the GX expectation-suite name (prefix)."""

    name: str
    asset_key: tuple[str, ...]
    parts: list[Part]
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def checked_by_load(self) -> bool:
        """Some part can be restricted to new loads (see `Part.new_rows_sql`)."""
        return any(p.new_rows_sql is not None for p in self.parts)

    @property
    def expectation_count(self) -> int:
        """Expectations declared, plus the run-time ones (row count vs previous run; freshness = not null + age)."""
        return sum(len(p.expectations) + (p.row_count is not None) + 2 * (p.freshness is not None) for p in self.parts)


def table(schema: str, name: str) -> str:
    return f"select * from {schema}.{name}"
