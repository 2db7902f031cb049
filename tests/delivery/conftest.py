"""A hand-built serving copy and warehouse for the delivery tests, and real local receivers: an HTTP server
(the webhook) and an SMTP server (aiosmtpd), each in a thread of the test process.

The two marts delivery reads are created with every column their contracts declare (target/manifest.json);
only the columns delivery reads are filled.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from cs_warehouse.report.contract import Contracts

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "target" / "manifest.json"
ALERTS, ACCOUNTS = "mart_churn_risk_alerts", "customer_360"
# The secret part of the webhook URL (a Slack hook carries its token in the path).
WEBHOOK_TOKEN = "T000SECRET/B000SECRET/XXXXtokenXXXX"


@pytest.fixture(scope="session")
def contracts() -> Contracts:
    if not MANIFEST.is_file():
        pytest.fail(f"no {MANIFEST}: run `.venv/bin/dbt parse` first (make test does)")
    return Contracts.from_manifest(MANIFEST)


# account_id -> (name, arr, next renewal, health score, band, change 30d, trend)
ACCOUNT_ROWS = {
    "001A": ("株式会社アルファ", 12_000_000, dt.date(2027, 3, 31), 35.5, "red", -12.5, "down"),
    "001B": ("ベータ工業株式会社", 3_600_000, None, 55.0, "yellow", 0.0, "flat"),
    "001C": ("ガンマ商事", 600_000, dt.date(2027, 1, 15), 72.0, "green", 6.0, "up"),
}


@dataclass(frozen=True)
class Alert:
    alert_id: str
    account_id: str
    alert_type: str
    severity: str
    owner: str | None
    status: str = "open"
    first_detected: dt.date = dt.date(2026, 11, 20)
    detected_days: int = 3
    evidence: tuple[str, float, float | None, float] = ("usage_ratio_7d", 0.42, 0.48, 0.6)
    owner_name: str | None = None
    enabled: bool = True  # its alert type on in seed alert_type_policy
    within_cap: bool = True  # within its CSM's daily cap


def write_serving(path: Path, contracts: Contracts, alerts: list[Alert], published_at: str) -> Path:
    """A serving copy as the publish leaves it: marts.<the two marts> and main._publication."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for name in (ALERTS, ACCOUNTS):
            cols = [f'"{c.name}" {c.data_type or "varchar"}' for c in contracts.mart(name).columns.values()]
            con.execute(f"create table marts.{name} ({', '.join(cols)})")
        for account_id, (name, arr, renewal, score, band, change, trend) in ACCOUNT_ROWS.items():
            con.execute(
                f"insert into marts.{ACCOUNTS} (account_id, account_name, arr, next_renewal_date, health_score, "
                "health_band, health_score_change_30d, health_trend) values (?, ?, ?, ?, ?, ?, ?, ?)",
                [account_id, name, arr, renewal, score, band, change, trend],
            )
        for a in alerts:
            metric, value, compared, threshold = a.evidence
            con.execute(
                f"insert into marts.{ALERTS} (alert_id, account_id, alert_type, severity, status, "
                "first_detected_date, detected_days, evidence_metric, evidence_value, evidence_compared_to, "
                "evidence_threshold, owner_csm_user_id, owner_csm_name, is_enabled, is_actionable, "
                "is_within_daily_cap) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [a.alert_id, a.account_id, a.alert_type, a.severity, a.status, a.first_detected, a.detected_days,
                 metric, value, compared, threshold, a.owner, a.owner_name, a.enabled,
                 a.status == "open" and a.enabled, a.within_cap],
            )  # fmt: skip
        con.execute("create table main._publication as select ? as published_at, 'run' as run_id", [published_at])
    return path


def write_warehouse(path: Path, users: list[tuple[str, str | None]]) -> Path:
    """The build warehouse as delivery reads it: raw.users (id, email)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists raw")
        con.execute("create or replace table raw.users (id varchar, name varchar, email varchar)")
        for user_id, email in users:
            con.execute("insert into raw.users values (?, ?, ?)", [user_id, f"name {user_id}", email])
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class WebhookReceiver:
    """Answers `fail_next` POSTs with HTTP 500, then 200; keeps the bodies it accepted."""

    url: str = ""
    fail_next: int = 0
    accepted: list[dict] = field(default_factory=list)
    refused: int = 0


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if receiver.fail_next > 0:
                receiver.fail_next -= 1
                receiver.refused += 1
                self.send_response(500)
                self.end_headers()
                return
            receiver.accepted.append(json.loads(body.decode("utf-8")))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_port}/services/{WEBHOOK_TOKEN}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class MailReceiver:
    """Answers `fail_next` messages with 451 (try later), then accepts; keeps (recipients, message) accepted."""

    host: str = "127.0.0.1"
    port: int = 0
    fail_next: int = 0
    accepted: list[tuple[list[str], object]] = field(default_factory=list)


@pytest.fixture
def smtp() -> Iterator[MailReceiver]:
    from email import message_from_bytes, policy

    try:
        from aiosmtpd.controller import Controller
    except ModuleNotFoundError:
        pytest.fail("aiosmtpd (a dev dependency in pyproject.toml) is not installed: `make lock`, then `make venv`")

    receiver = MailReceiver(port=free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope) -> str:
            if receiver.fail_next > 0:
                receiver.fail_next -= 1
                return "451 4.3.0 try again later"
            message = message_from_bytes(envelope.original_content, policy=policy.default)
            receiver.accepted.append((list(envelope.rcpt_tos), message))
            return "250 OK"

    controller = Controller(Handler(), hostname=receiver.host, port=receiver.port)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
