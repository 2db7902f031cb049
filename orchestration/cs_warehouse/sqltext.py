"""SQL text built from names and values that are not bound parameters (DDL, attach paths, identifiers).

The same rules hold on DuckDB and PostgreSQL: an identifier in double quotes with `"` doubled, a string literal
in single quotes with `'` doubled.
"""

from __future__ import annotations

from collections.abc import Iterable


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_literal_list(values: Iterable[str]) -> str:
    """A DuckDB list literal: `['a', 'b']`."""
    return "[" + ", ".join(sql_literal(v) for v in values) + "]"
