"""PostgreSQL connections, from the same CSW_PG_* settings the dbt `postgres` target reads."""

from __future__ import annotations

import os

import psycopg2


def connection_settings() -> dict[str, object]:
    return {
        "host": os.environ.get("CSW_PG_HOST", "127.0.0.1"),
        "port": int(os.environ.get("CSW_PG_PORT", "5432")),
        "user": os.environ.get("CSW_PG_USER", "cs_warehouse"),
        "password": os.environ.get("CSW_PG_PASSWORD", ""),
        "dbname": os.environ.get("CSW_PG_DATABASE", "cs_warehouse"),
    }


def connect(**overrides: object):
    settings = {"connect_timeout": 10, "application_name": "cs_warehouse"} | connection_settings() | overrides
    return psycopg2.connect(**settings)
