"""SQL expressions that type a landing column and name the contract rule each value breaks.

A value that breaks a rule is never coerced: the row goes to quarantine with the rule's name, so the raw
schema only ever holds rows that satisfy the contract.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cs_warehouse.contract import Bound, Column

ZONED_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$"
NAIVE_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"
INTEGER_TEXT = r"^[+-]?\d+$"
DECIMAL_TEXT = r"^[+-]?\d+(\.\d+)?$"
DATE_TEXT = r"^\d{4}-\d{2}-\d{2}$"
TRUE_TEXT = ("true", "t", "1", "yes")
FALSE_TEXT = ("false", "f", "0", "no")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(sql_literal(v) for v in values)


def is_text_type(source_type: str) -> bool:
    return source_type.upper() in ("VARCHAR", "STRING", "TEXT")


def typed_expression(col: Column, source_type: str) -> str:
    """Expression giving the column in its contract type, or NULL where the value does not conform."""
    c = quote_ident(col.raw_name)
    text = is_text_type(source_type)
    source_type = source_type.upper()
    if col.type in ("string", "json"):
        return f"cast({c} as varchar)"
    if col.type == "integer":
        if text:
            return f"case when regexp_matches({c}, '{INTEGER_TEXT}') then try_cast({c} as bigint) end"
        return f"try_cast({c} as bigint)"
    if col.type == "decimal":
        if text:
            return f"case when regexp_matches({c}, '{DECIMAL_TEXT}') then try_cast({c} as decimal(18, 2)) end"
        return f"try_cast({c} as decimal(18, 2))"
    if col.type == "boolean":
        if text:
            return (
                f"case when lower({c}) in ({_in_list(TRUE_TEXT)}) then true "
                f"when lower({c}) in ({_in_list(FALSE_TEXT)}) then false end"
            )
        return f"try_cast({c} as boolean)"
    if col.type == "date":
        if text:
            return f"case when regexp_matches({c}, '{DATE_TEXT}') then try_cast({c} as date) end"
        return f"try_cast({c} as date)"
    if col.type == "timestamp":
        if text:
            return f"case when regexp_matches({c}, '{ZONED_TIMESTAMP}') then try_cast({c} as timestamptz) end"
        if "TIME ZONE" in source_type:
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
