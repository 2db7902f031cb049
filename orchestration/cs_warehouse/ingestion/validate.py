"""SQL expressions that type a landing column and name the contract rule each value breaks.

A value that breaks a rule is never coerced: the row goes to quarantine with the rule's name, so the raw
schema only ever holds rows that satisfy the contract.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cs_warehouse.contract import Bound, Column
from cs_warehouse.sqltext import quote_ident, sql_literal

ZONED_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$"
NAIVE_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"
# A whole number; a fractional part is accepted only when it is all zeros ("120.0"), so nothing is rounded.
INTEGER_TEXT = r"^[+-]?\d+(\.0*)?$"
# At most two significant fractional digits (the contract's decimal(18, 2)); trailing zeros beyond them are exact.
DECIMAL_TEXT = r"^[+-]?\d+(\.\d{1,2}0*)?$"
DATE_TEXT = r"^\d{4}-\d{2}-\d{2}$"
TRUE_TEXT = ("true", "t", "1", "yes")
FALSE_TEXT = ("false", "f", "0", "no")
# The reporting time zone: a zoned timestamp in a date column names the date it starts there.
REPORTING_ZONE = "Asia/Tokyo"
# Longest text value a string or json column accepts (characters); longer values break `field_too_long`.
MAX_FIELD_CHARS = 1_048_576

INTEGER_SOURCES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER")
INTEGER_SOURCES += ("UBIGINT", "UHUGEINT")
FLOAT_SOURCES = ("FLOAT", "DOUBLE")
NESTED_SOURCES = ("STRUCT", "MAP", "JSON")


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(sql_literal(v) for v in values)


def is_text_type(source_type: str) -> bool:
    return source_type.upper() in ("VARCHAR", "STRING", "TEXT")


def _decimal_scale(source_type: str) -> int | None:
    """The scale of a DECIMAL(p,s) source type, None for any other type."""
    if not source_type.startswith("DECIMAL"):
        return None
    inside = source_type[source_type.find("(") + 1 : source_type.find(")")]
    return int(inside.split(",")[1]) if "," in inside else 0


def _date_of_timestamp(ts: str, zoned: bool) -> str:
    """The date of a timestamp that is exactly midnight: in the reporting zone when it has a zone (never
    via UTC), as written when it has none; NULL for any other time of day."""
    local = f"timezone('{REPORTING_ZONE}', {ts})" if zoned else ts
    return f"case when {local} = date_trunc('day', {local}) then cast({local} as date) end"


def typed_expression(col: Column, source_type: str) -> str:
    """Expression giving the column in its contract type, or NULL where the value does not fit it exactly.

    A value is typed only when nothing is lost: a fractional integer, a decimal beyond two places, an
    integer other than 0/1 as a boolean, a timestamp that is not a whole date, binary as text: all NULL,
    which `violation_expressions` reports as `type:<Column>`. Text (CSV, JSONL, text Parquet columns)
    must have the documented forms; typed Parquet columns are accepted only from the source types below.
    """
    c = quote_ident(col.raw_name)
    source = source_type.upper()
    text = is_text_type(source)
    scale = _decimal_scale(source)
    integral = source in INTEGER_SOURCES
    if col.type == "string":
        if text:
            return c
        if integral:  # a numeric identifier: its decimal digits are the value
            return f"cast({c} as varchar)"
        return "cast(null as varchar)"  # binary, float, boolean, temporal: not text as exported
    if col.type == "json":
        if text:
            return c
        if source.startswith(NESTED_SOURCES) or source.endswith("[]"):
            return f"cast(to_json({c}) as varchar)"
        return "cast(null as varchar)"
    if col.type == "integer":
        if text:
            return f"case when regexp_matches({c}, '{INTEGER_TEXT}') then try_cast({c} as bigint) end"
        if integral:
            return f"try_cast({c} as bigint)"
        if source in FLOAT_SOURCES or scale is not None:
            return f"case when {c} = trunc({c}) then try_cast({c} as bigint) end"
        return "cast(null as bigint)"
    if col.type == "decimal":
        if text:
            return f"case when regexp_matches({c}, '{DECIMAL_TEXT}') then try_cast({c} as decimal(18, 2)) end"
        if integral or (scale is not None and scale <= 2):
            return f"try_cast({c} as decimal(18, 2))"
        if source in FLOAT_SOURCES or scale is not None:
            return f"case when {c} = round({c}, 2) then try_cast({c} as decimal(18, 2)) end"
        return "cast(null as decimal(18, 2))"
    if col.type == "boolean":
        if text:
            return (
                f"case when lower({c}) in ({_in_list(TRUE_TEXT)}) then true "
                f"when lower({c}) in ({_in_list(FALSE_TEXT)}) then false end"
            )
        if source == "BOOLEAN":
            return c
        if integral:  # 1 and 0, as the text forms accept; any other number is not a boolean
            return f"case when {c} = 1 then true when {c} = 0 then false end"
        return "cast(null as boolean)"
    if col.type == "date":
        if text:
            zoned = f"try_cast({c} as timestamptz)"
            naive = f"try_cast({c} as timestamp)"
            return (
                f"case when regexp_matches({c}, '{DATE_TEXT}') then try_cast({c} as date) "
                f"when regexp_matches({c}, '{ZONED_TIMESTAMP}') then {_date_of_timestamp(zoned, True)} "
                f"when regexp_matches({c}, '{NAIVE_TIMESTAMP}') then {_date_of_timestamp(naive, False)} end"
            )
        if source == "DATE":
            return c
        if source.startswith("TIMESTAMP"):
            return _date_of_timestamp(c, "TIME ZONE" in source)
        return "cast(null as date)"
    if col.type == "timestamp":
        if text:
            return f"case when regexp_matches({c}, '{ZONED_TIMESTAMP}') then try_cast({c} as timestamptz) end"
        if "TIME ZONE" in source:
            return c
        return "cast(null as timestamptz)"  # a naive timestamp column: every value breaks the zone rule
    raise ValueError(f"unknown contract type {col.type}")


def violation_expressions(col: Column, source_type: str) -> list[str]:
    """CASE expressions yielding 'rule:Column' for each rule this column's value breaks, else NULL."""
    c = quote_ident(col.raw_name)
    typed = typed_expression(col, source_type)
    tag = col.name.replace("'", "''")
    checks: list[str] = []
    if col.required:
        checks.append(f"case when {c} is null then 'required:{tag}' end")
    if col.type in ("string", "json"):
        checks.append(f"case when length({typed}) > {MAX_FIELD_CHARS} then 'field_too_long:{tag}' end")
    if col.type == "timestamp":
        if is_text_type(source_type):
            naive = f"regexp_matches({c}, '{NAIVE_TIMESTAMP}')"
            checks.append(f"case when {c} is not null and {naive} then 'timezone:{tag}' end")
            checks.append(f"case when {c} is not null and not {naive} and ({typed}) is null then 'type:{tag}' end")
        elif "TIME ZONE" not in source_type.upper():
            checks.append(f"case when {c} is not null then 'timezone:{tag}' end")
    else:
        checks.append(f"case when {c} is not null and ({typed}) is null then 'type:{tag}' end")
    if col.enum:
        checks.append(f"case when ({typed}) not in ({_in_list(col.enum)}) then 'enum:{tag}' end")
    for op, bound, word in (("<", col.min, "min"), (">", col.max, "max")):
        if bound is not None:
            # The rule text names the bound: 'range:Amount (max 10000000000)'.
            label = f"range:{col.name} ({word} {bound_text(bound)})"
            checks.append(f"case when ({typed}) {op} {bound_literal(bound)} then {sql_literal(label)} end")
    return checks


def bound_text(bound: Bound) -> str:
    """A bound as the contract and the quarantine show it: 10000000000, 2000-01-01, 2000-01-01T00:00:00+00:00."""
    if isinstance(bound, float) and bound.is_integer():
        return str(int(bound))
    return bound.isoformat() if isinstance(bound, dt.date) else str(bound)


def bound_literal(bound: Bound) -> str:
    """The bound as a typed SQL literal (dates and timestamps compare as such, not as text)."""
    if isinstance(bound, dt.datetime):
        return f"timestamptz {sql_literal(bound.isoformat())}"
    if isinstance(bound, dt.date):
        return f"date {sql_literal(bound.isoformat())}"
    return str(Decimal(str(bound)))
