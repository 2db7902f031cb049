"""Suites for the raw entities: the contract's rules, re-checked on what was actually loaded.

Ingestion quarantines rows that break the contract, so on a healthy load every critical expectation here
passes; a failure means the loader or the contract drifted, or a table was written around the loader.
The rules come from contract/raw_contract.yml (the reviewed source of truth) and `EXTRAS` below:
- key column: not null (critical) and unique (critical; a `duplicate_keys` part, one hash aggregate, where
  GX's column uniqueness would sort the whole table three times: it matters at 100 million events);
- required columns: not null (critical);
- enums: values in the allowed set (critical);
- min / max: values in range (critical);
- references: every value exists in the referenced raw table (warning: an orphan is quarantined by the
  loader, so one here means the referenced table was reloaded afterwards);
- freshness of the latest event or record (warning); the event table's row count vs the previous run
  (warning). A snapshot export's row count is compared with the last published night by the publish gates
  (cs_warehouse/gates.py, critical), not here.

The event table's row rules, duplicate keys and references can be restricted to the night's new loads
(quality/scope.py); its row count and freshness always read the whole table.
"""

from __future__ import annotations

from cs_warehouse.contract import Entity, load_contract
from cs_warehouse.ingestion.audit import RAW_SCHEMA
from cs_warehouse.quality.spec import CRITICAL, WARNING, Freshness, Part, RowCountBounds, Suite, gxe, table

# The load that wrote a raw row (ingestion/load.py); load ids sort in load order.
LOAD_COLUMN = "_load_id"

# Per-entity additions the contract does not express: the freshness column and its allowed age (days),
# row-count tolerance of the event table (it grows every day) and cross-column rules.
EXTRAS: dict[str, dict] = {
    "product_events": {
        # The event history only grows: a night checks the rows of its new loads (quality/scope.py).
        "checked_by_load": True,
        "freshness": Freshness("timestamp", max_age_days=2),
        "row_count": RowCountBounds(min_ratio=0.95, max_ratio=2.0),
        "expectations": lambda: [
            # The collector cannot receive an event before it happened, beyond client clock skew.
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="received_at", column_B="timestamp", or_equal=True, mostly=0.99, severity=WARNING
            ),
        ],
    },
    "accounts": {"freshness": Freshness("created_date", max_age_days=60)},
    "contracts": {
        "expectations": lambda: [
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="end_date",
                column_B="start_date",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                severity=CRITICAL,
            ),
        ],
    },
    "contract_items": {
        "expectations": lambda: [
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="end_date",
                column_B="start_date",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                severity=CRITICAL,
            ),
        ],
    },
    "support_tickets": {"freshness": Freshness("created_at", max_age_days=14)},
    # Only sources that export usage counts instead of events fill it; empty is normal (no not-empty rule).
    "product_usage_daily": {"may_be_empty": True},
    # Optional: a source without a CRM activity log leaves it empty.
    "activities": {"may_be_empty": True},
}


def _column_expectations(entity: Entity) -> list:
    key = entity.key_column.raw_name
    expectations: list = [gxe.ExpectColumnValuesToNotBeNull(column=key, severity=CRITICAL)]
    for col in entity.columns:
        name = col.raw_name
        if col.required and name != key:
            expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=name, severity=CRITICAL))
        if col.enum:
            expectations.append(
                gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(col.enum), severity=CRITICAL)
            )
        # Numeric bounds only: date and timestamp bounds are enforced by the ingestion alone.
        if col.type in ("integer", "decimal") and (col.min is not None or col.max is not None):
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(column=name, min_value=col.min, max_value=col.max, severity=CRITICAL)
            )
    return expectations


def _duplicate_keys_part(entity: Entity, by_load: bool) -> Part:
    """Each key value held more than once, with its number of copies: none on a healthy load. Restricted to
    new loads, the keys of those loads are looked up among all keys (a semi-join, not a second aggregate)."""
    key = entity.key_column.raw_name
    relation = f"{RAW_SCHEMA}.{entity.raw_table}"
    new_keys = f"select {key} from {relation} where {LOAD_COLUMN} > {{after}}"
    return Part(
        name="duplicate_keys",
        sql=f"select {key}, count(*) as copies from {relation} where {key} is not null "
        f"group by {key} having count(*) > 1",
        expectations=[gxe.ExpectColumnValuesToBeBetween(column="copies", max_value=1, severity=CRITICAL)],
        keys=(key,),
        new_rows_sql=(
            f"select {key}, count(*) as copies from {relation} where {key} in ({new_keys}) "
            f"group by {key} having count(*) > 1"
        )
        if by_load
        else None,
    )


def _orphans_part(entity: Entity, by_load: bool) -> Part | None:
    """One row per reference: how many non-null values have no parent row."""
    contract = load_contract()
    selects = []
    new_selects = []
    for col in entity.columns:
        ref = col.reference
        if not ref:
            continue
        parent = contract.entities[ref[0]]
        parent_col = parent.column(ref[1]).raw_name
        select = (
            f"select '{col.raw_name}' as column_name, '{parent.name}.{parent_col}' as refers_to, count(*) as orphans "
            f"from {RAW_SCHEMA}.{entity.raw_table} c "
            f"where c.{col.raw_name} is not null and not exists "
            f"(select 1 from {RAW_SCHEMA}.{parent.raw_table} p where p.{parent_col} = c.{col.raw_name})"
        )
        selects.append(select)
        new_selects.append(f"{select} and c.{LOAD_COLUMN} > {{after}}")
    if not selects:
        return None
    return Part(
        name="references",
        sql=" union all ".join(selects),
        expectations=[gxe.ExpectColumnValuesToBeBetween(column="orphans", max_value=0, severity=WARNING)],
        keys=("column_name", "refers_to"),
        new_rows_sql=" union all ".join(new_selects) if by_load else None,
    )


def raw_suite(entity: Entity) -> Suite:
    extras = EXTRAS.get(entity.name, {})
    expectations = _column_expectations(entity)
    if not extras.get("may_be_empty"):
        # An empty export of an entity every source sends is a broken export. One a source may leave empty has
        # only the row count vs the previous run: a source that stops sending it is still noticed.
        expectations.append(gxe.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL))
    expectations.extend(extras.get("expectations", lambda: [])())
    by_load = bool(extras.get("checked_by_load"))
    relation = table(RAW_SCHEMA, entity.raw_table)
    parts = [
        Part(
            name="table",
            sql=relation,
            expectations=expectations,
            keys=(entity.key_column.raw_name,),
            # Snapshot exports: row count vs the last published night is a publish gate (cs_warehouse/gates.py).
            row_count=extras.get("row_count"),
            freshness=extras.get("freshness"),
            new_rows_sql=f"{relation} where {LOAD_COLUMN} > {{after}}" if by_load else None,
        ),
        _duplicate_keys_part(entity, by_load),
    ]
    orphans = _orphans_part(entity, by_load)
    if orphans is not None:
        parts.append(orphans)
    return Suite(
        name=f"raw.{entity.name}",
        asset_key=(RAW_SCHEMA, entity.name),
        parts=parts,
        description=f"Contract rules re-checked on raw.{entity.name}.",
    )


def raw_suites() -> list[Suite]:
    return [raw_suite(entity) for entity in load_contract().load_order()]
