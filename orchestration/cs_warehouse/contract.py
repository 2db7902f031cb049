"""The raw data contract (contract/raw_contract.yml) as typed Python objects.

Ingestion, the generator's tests and the contract docs all read the contract through this module, so the
YAML file stays the single definition of what the landing folder may contain.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "contract" / "raw_contract.yml"

COLUMN_TYPES = ("string", "integer", "decimal", "boolean", "date", "timestamp", "json")

# DuckDB type each contract type lands as in the raw schema.
RAW_SQL_TYPES = {
    "string": "varchar",
    "integer": "bigint",
    "decimal": "decimal(18, 2)",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamptz",
    "json": "varchar",
}


# Types that take `min` / `max` bounds, and the contract's `bounds` section: a default per type that every
# column of the type gets unless it sets its own `min` / `max` (`null` removes that bound).
BOUNDED_TYPES = ("integer", "decimal", "date", "timestamp")
Bound = int | float | dt.date | dt.datetime


def parse_bound(value: object, type_: str, where: str) -> Bound | None:
    """A bound from the YAML as a Python value of the column's type (date / aware datetime / number)."""
    if value is None:
        return None
    try:
        if type_ in ("integer", "decimal"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError("not a number")
            return value
        if type_ == "date":
            return value if type(value) is dt.date else dt.date.fromisoformat(str(value))
        if type_ == "timestamp":
            stamp = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
            if stamp.tzinfo is None:
                raise ValueError("a timestamp bound needs a zone (Z or +09:00)")
            return stamp
    except ValueError as exc:
        raise ValueError(f"{where}: bound {value!r} is not a valid {type_} ({exc})") from None
    raise ValueError(f"{where}: a {type_} column takes no min/max")


def raw_column_name(header: str) -> str:
    """Landing header -> raw column: snake_case, Salesforce's `__c` suffix kept as `_c`.

    >>> raw_column_name("ListPricePerSeatJpy__c"), raw_column_name("messageId"), raw_column_name("Id")
    ('list_price_per_seat_jpy_c', 'message_id', 'id')
    """
    name = header.replace("__c", "_c")
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    name = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return name.lower()


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    min: Bound | None = None
    max: Bound | None = None
    references: str | None = None
    pii: bool = False
    description: str = ""

    @property
    def raw_name(self) -> str:
        return raw_column_name(self.name)

    @property
    def sql_type(self) -> str:
        return RAW_SQL_TYPES[self.type]

    @property
    def reference(self) -> tuple[str, str] | None:
        if not self.references:
            return None
        entity, _, column = self.references.partition(".")
        return entity, column


@dataclass(frozen=True)
class Entity:
    name: str
    description: str
    source: str
    primary_key: str
    columns: tuple[Column, ...]
    partitioned_by_day: bool = False
    optional: bool = False

    @property
    def raw_table(self) -> str:
        return self.name

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def key_column(self) -> Column:
        return self.column(self.primary_key)

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class Contract:
    version: int
    entities: dict[str, Entity] = field(default_factory=dict)
    # The default bounds per type (`bounds` in the YAML), parsed: {type: {"min": ..., "max": ...}}.
    bounds: dict[str, dict[str, Bound | None]] = field(default_factory=dict)

    def load_order(self) -> list[Entity]:
        """Entities ordered so that every referenced entity loads before the ones pointing at it."""
        ordered: list[str] = []

        def visit(name: str, trail: tuple[str, ...]) -> None:
            if name in ordered:
                return
            if name in trail:
                raise ValueError(f"reference cycle in the contract: {' -> '.join((*trail, name))}")
            for col in self.entities[name].columns:
                ref = col.reference
                if ref and ref[0] != name:
                    visit(ref[0], (*trail, name))
            ordered.append(name)

        for name in self.entities:
            visit(name, ())
        return [self.entities[n] for n in ordered]


def _column(spec: dict, defaults: dict[str, dict], entity: str = "") -> Column:
    if spec["type"] not in COLUMN_TYPES:
        raise ValueError(f"column {spec['name']}: unknown type {spec['type']!r}")
    enum = spec.get("enum")
    where = f"{entity}.{spec['name']}"
    default = defaults.get(spec["type"], {})
    bounds = {k: parse_bound(spec[k] if k in spec else default.get(k), spec["type"], where) for k in ("min", "max")}
    if bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
        raise ValueError(f"{where}: min {bounds['min']} is above max {bounds['max']}")
    return Column(
        name=spec["name"],
        type=spec["type"],
        required=bool(spec.get("required", False)),
        enum=tuple(str(v) for v in enum) if enum else None,
        min=bounds["min"],
        max=bounds["max"],
        references=spec.get("references"),
        pii=bool(spec.get("pii", False)),
        description=spec.get("description", ""),
    )


def parse_contract(document: dict) -> Contract:
    defaults = document.get("bounds") or {}
    for type_, spec in defaults.items():
        if type_ not in BOUNDED_TYPES or set(spec) - {"min", "max"}:
            raise ValueError(f"bounds.{type_}: only {', '.join(BOUNDED_TYPES)} take bounds, as min / max")
    entities = {}
    for name, spec in document["entities"].items():
        entities[name] = Entity(
            name=name,
            description=" ".join(str(spec.get("description", "")).split()),
            source=spec["source"],
            primary_key=spec["primary_key"],
            columns=tuple(_column(c, defaults, name) for c in spec["columns"]),
            partitioned_by_day=bool(spec.get("partitioned_by_day", False)),
            optional=bool(spec.get("optional", False)),
        )
    parsed = {
        t: {k: parse_bound(spec.get(k), t, f"bounds.{t}") for k in ("min", "max")} for t, spec in defaults.items()
    }
    contract = Contract(version=int(document["version"]), entities=entities, bounds=parsed)
    for entity in contract.entities.values():
        entity.key_column  # noqa: B018 - raises when the primary key is not a column
        for col in entity.columns:
            ref = col.reference
            if ref and (ref[0] not in entities or ref[1] not in entities[ref[0]].headers):
                raise ValueError(f"{entity.name}.{col.name} references unknown {col.references}")
    contract.load_order()
    return contract


@cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    with open(path, encoding="utf-8") as fh:
        return parse_contract(yaml.safe_load(fh))
