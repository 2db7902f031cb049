"""Alert delivery: each open churn-risk alert episode of the published serving copy, sent once to its owner.

After the night publishes, `deliver_alerts` reads the serving copy read-only (the open episodes of
`mart_churn_risk_alerts` with their account in `customer_360`) and sends every episode not yet delivered on
each configured channel:

- `webhook`: one Slack-compatible message (`{"text": ...}`, Japanese) per episode, POSTed to
  CSW_DELIVERY_WEBHOOK_URL;
- `email`: one digest per CSM per run over SMTP, listing that CSM's episodes, to the address of the CSM's user
  in the build warehouse's raw `users` table (the serving copy holds no personal data). A CSM with no address
  is recorded as `skipped` with the reason and tried again on the next run.

Every attempt is a row of the delivery ledger (`delivery_attempts`, a SQLite file of its own in the delivery
folder): episode, channel, recipient (the owner's user id), attempt number, status `sent` / `failed` /
`skipped`, error, time. An episode with a `sent` row on a channel is never sent there again (a unique index
says so too); a failed or skipped one is tried again on the next run while it is open. A channel that fails
MAX_FAILURES_IN_A_ROW times in a row is not tried again in the run: its other episodes are skipped. An attempt
is written as `failed` ("interrupted") before the receiver is called and turned into `sent` once it answered,
so a run killed in between sends that episode again on the next run: the one case where a receiver can see an
episode twice.

Dry run (CSW_DELIVERY_DRY_RUN=1, `--dry-run`, and the default when no channel is configured): the messages
that would be sent are written to files under `<delivery folder>/dry_run/` and the ledger is left as is.

The columns read are listed in `READS` (checked against the marts' contracts and the serving copy, like the
report's). An episode is delivered while it is actionable (open, its alert type enabled by seed
alert_type_policy) and within its CSM's daily cap; one that comes within the cap later is delivered then.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import smtplib
import sqlite3
import ssl
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from cs_warehouse import serving
from cs_warehouse.notify import redact_url, webhook_host
from cs_warehouse.report.contract import Contracts
from cs_warehouse.report.i18n import EVIDENCE_JA, TREND_JA, fmt_yen, value_label
from cs_warehouse.sqltext import sql_literal

logger = logging.getLogger("cs_warehouse.delivery")

ALERTS, ACCOUNTS = "mart_churn_risk_alerts", "customer_360"
WEBHOOK, EMAIL = "webhook", "email"
CHANNELS = (WEBHOOK, EMAIL)
SENT, FAILED, SKIPPED = "sent", "failed", "skipped"
INTERRUPTED = "interrupted before the receiver answered"
HTTP_TIMEOUT_SECONDS = 10
SMTP_TIMEOUT_SECONDS = 20
# A channel that failed this many times in a row is not tried again in the run (a receiver that is down would
# otherwise hold the night for a timeout per episode): its remaining episodes are skipped until the next run.
MAX_FAILURES_IN_A_ROW = 3

# The mart columns a message is made of. Each must be declared by the mart's contract and be in the serving copy.
READS: dict[str, tuple[str, ...]] = {
    ALERTS: (
        "alert_id", "account_id", "alert_type", "severity", "status", "first_detected_date", "detected_days",
        "evidence_metric", "evidence_value", "evidence_compared_to", "evidence_threshold", "owner_csm_user_id",
        "owner_csm_name", "is_actionable", "is_within_daily_cap",
    ),
    ACCOUNTS: (
        "account_id", "account_name", "arr", "next_renewal_date", "health_score", "health_band",
        "health_score_change_30d", "health_trend",
    ),
}  # fmt: skip

# Where a CSM's e-mail address is read: the build warehouse's raw users table (read-only), CRM user id -> Email.
ADDRESS_TABLE, ADDRESS_ID, ADDRESS_EMAIL = "raw.users", "id", "email"


class DeliveryError(RuntimeError):
    """The serving copy cannot be read for delivery (no copy, a column missing)."""


@dataclass(frozen=True)
class DeliveryConfig:
    """The channels and where the ledger and dry-run files go (Settings.from_env fills it from CSW_DELIVERY_*)."""

    directory: Path
    webhook_url: str | None = field(default=None, repr=False)
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = True
    mail_from: str | None = None
    dry_run: bool = False
    timezone: str = "Asia/Tokyo"  # the day a digest is dated by

    @property
    def ledger_path(self) -> Path:
        return self.directory / "delivery_ledger.sqlite"

    @property
    def dry_run_dir(self) -> Path:
        return self.directory / "dry_run"

    def configured_channels(self) -> tuple[str, ...]:
        return tuple(name for name, on in ((WEBHOOK, bool(self.webhook_url)), (EMAIL, bool(self.smtp_host))) if on)


@dataclass
class DeliveryResult:
    dry_run: bool
    published_at: str | None
    episodes: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # channel -> status -> episodes
    dry_run_dir: Path | None = None

    def add(self, channel: str, status: str, n: int = 1) -> None:
        by_status = self.counts.setdefault(channel, {})
        by_status[status] = by_status.get(status, 0) + n

    def text(self) -> str:
        mode = f"dry run, files in {self.dry_run_dir}" if self.dry_run else "sent"
        parts = [
            f"{channel}: " + ", ".join(f"{status} {n}" for status, n in sorted(by_status.items()))
            for channel, by_status in sorted(self.counts.items())
        ]
        return f"{self.episodes} open alert episodes ({mode}); " + ("; ".join(parts) or "nothing to deliver")


# ---------------------------------------------------------------- reading the serving copy


def _serving_columns(con) -> dict[str, set[str]]:
    rows = con.execute(
        "select table_name, column_name from duckdb_columns() where database_name = ? and schema_name = 'marts'",
        [serving.CATALOG],
    ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return columns


def load_open_episodes(serving_path: Path, contracts: Contracts) -> tuple[list[dict[str, Any]], str | None]:
    """The open alert episodes to deliver, largest ARR first, and the publication time of the copy read."""
    try:
        con = serving.connect(serving_path)
    except FileNotFoundError as exc:
        raise DeliveryError(str(exc)) from exc
    try:
        present = _serving_columns(con)
        contracts.check(READS, present, serving_path.name)
        alert_cols = [f"a.{c}" for c in READS[ALERTS]]
        account_cols = [f"c.{c}" for c in READS[ACCOUNTS] if c != "account_id"]
        cursor = con.execute(
            f"select {', '.join(alert_cols + account_cols)} from marts.{ALERTS} as a "
            f"left join marts.{ACCOUNTS} as c on a.account_id = c.account_id "
            "where a.is_actionable and a.is_within_daily_cap order by c.arr desc nulls last, a.alert_id"
        )
        names = [d[0] for d in cursor.description]
        episodes = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        published = con.execute(
            "select count(*) from duckdb_tables() where database_name = ? and schema_name = 'main' "
            "and table_name = '_publication'",
            [serving.CATALOG],
        ).fetchone()[0]
        published_at = con.execute("select published_at from main._publication").fetchone()[0] if published else None
    finally:
        con.close()
    return episodes, published_at


def csm_addresses(warehouse_path: Path) -> tuple[dict[str, str], str | None]:
    """CRM user id -> e-mail address, from the build warehouse read-only; ({}, why) when it cannot be read."""
    import duckdb

    from cs_warehouse.runlock import LockHeldError, warehouse_lock

    if not warehouse_path.is_file():
        return {}, f"no warehouse file {warehouse_path} to read CSM addresses from"
    try:
        # Under the warehouse lock (re-entrant in the nightly that holds it): a read never stalls a build's writes.
        with warehouse_lock(warehouse_path, "cs_warehouse deliver-alerts (CSM addresses)", 0):
            con = duckdb.connect(":memory:")
            try:
                con.execute(f"attach {sql_literal(str(warehouse_path))} as wh (read_only)")
                rows = con.execute(
                    f"select {ADDRESS_ID}, {ADDRESS_EMAIL} from wh.{ADDRESS_TABLE} "
                    f"where nullif(trim({ADDRESS_EMAIL}), '') is not null"
                ).fetchall()
            finally:
                con.close()
    except LockHeldError:
        return {}, "CSM addresses not read: a nightly build holds the warehouse lock"
    except Exception as exc:  # no users table, an unreadable file: the e-mails wait for the next run
        return {}, f"CSM addresses unreadable ({ADDRESS_TABLE} in {warehouse_path.name}: {type(exc).__name__})"
    return {str(user_id): email.strip() for user_id, email in rows}, None


# ---------------------------------------------------------------- messages


def _number(value: Any) -> str:
    if value is None:
        return "–"
    value = float(value)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"


def _date(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else ("–" if value is None else str(value))


def _owner(episode: Mapping[str, Any]) -> str:
    name, user_id = episode.get("owner_csm_name"), episode.get("owner_csm_user_id")
    if name and user_id:
        return f"{name}（{user_id}）"
    return str(name or user_id or "未割当")


def episode_lines(episode: Mapping[str, Any], contracts: Contracts) -> list[str]:
    """The Japanese lines describing one episode: labels of columns and coded values from the project's own."""

    def label(mart: str, column: str) -> str:
        return contracts.label(mart, column, "ja")

    metric = episode["evidence_metric"]
    measured, compared, threshold = EVIDENCE_JA.get(
        metric, (metric, label(ALERTS, "evidence_compared_to"), label(ALERTS, "evidence_threshold"))
    )
    score = episode.get("health_score")
    change = episode.get("health_score_change_30d")
    trend = episode.get("health_trend")
    band = episode.get("health_band")
    return [
        f"{label(ACCOUNTS, 'account_name')}: {episode.get('account_name') or '–'}（{episode['account_id']}）",
        f"{label(ALERTS, 'alert_type')}: {value_label('alert', episode['alert_type'], 'ja')}"
        f" / {label(ALERTS, 'severity')}: {value_label('severity', episode['severity'], 'ja')}",
        f"{label(ALERTS, 'evidence_value')}: {measured} {_number(episode['evidence_value'])}"
        f"（{compared} {_number(episode['evidence_compared_to'])}、"
        f"{threshold} {_number(episode['evidence_threshold'])}）",
        f"{label(ACCOUNTS, 'arr')}: {fmt_yen(None if episode.get('arr') is None else float(episode['arr']), 'ja')}"
        f" / {label(ACCOUNTS, 'next_renewal_date')}: {_date(episode.get('next_renewal_date'))}",
        f"{label(ACCOUNTS, 'health_score')}: {'–' if score is None else f'{float(score):.1f}'}"
        f"（{value_label('band', band, 'ja') if band else '–'}）"
        f" / {label(ACCOUNTS, 'health_score_change_30d')}: "
        f"{'–' if change is None else f'{float(change):+.1f}'}"
        f" / {label(ACCOUNTS, 'health_trend')}: {TREND_JA.get(trend, trend or '–')}",
        f"{label(ALERTS, 'first_detected_date')}: {_date(episode['first_detected_date'])}"
        f"（{label(ALERTS, 'detected_days')} {episode['detected_days']}）",
        f"{label(ALERTS, 'owner_csm_user_id')}: {_owner(episode)}",
        f"{label(ALERTS, 'alert_id')}: {episode['alert_id']}",
    ]


def webhook_text(episode: Mapping[str, Any], contracts: Contracts) -> str:
    title = contracts.mart_label(ALERTS, "ja")
    return f"【{title}】{episode.get('account_name') or episode['account_id']}\n" + "\n".join(
        episode_lines(episode, contracts)
    )


def digest_message(
    episodes: list[Mapping[str, Any]], contracts: Contracts, to: str | None, sender: str, day: str
) -> EmailMessage:
    title = contracts.mart_label(ALERTS, "ja")
    message = EmailMessage()
    message["Subject"] = f"【{title}】{day} {len(episodes)} 件（{_owner(episodes[0])}）"
    message["From"] = sender
    if to:
        message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    intro = f"担当アカウントの{title}のうち、まだお知らせしていないものが {len(episodes)} 件あります。"
    blocks = [f"{_owner(episodes[0])} さん", intro]
    for i, episode in enumerate(episodes, 1):
        blocks.append(f"■ {i}. " + "\n".join(episode_lines(episode, contracts)))
    message.set_content("\n\n".join(blocks) + "\n")
    return message


# ---------------------------------------------------------------- the ledger

LEDGER_SCHEMA = """
create table if not exists delivery_attempts (
    alert_id text not null,
    channel text not null check (channel in ('webhook', 'email')),
    recipient text,
    attempt integer not null check (attempt >= 1),
    status text not null check (status in ('sent', 'failed', 'skipped')),
    error text,
    attempted_at text not null,
    published_at text,
    primary key (alert_id, channel, attempt)
);
create unique index if not exists delivery_sent_once on delivery_attempts (alert_id, channel) where status = 'sent';
"""


class Ledger:
    """The delivery attempts, one committed row per attempt (SQLite, its own file)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.con = sqlite3.connect(path, isolation_level=None)
        # Write-ahead log: each attempt commits on its own without a full sync of the file.
        self.con.execute("pragma journal_mode = wal")
        self.con.execute("pragma synchronous = normal")
        self.con.executescript(LEDGER_SCHEMA)

    def close(self) -> None:
        self.con.close()

    def sent(self, channel: str) -> set[str]:
        sql = "select alert_id from delivery_attempts where channel = ? and status = 'sent'"
        rows = self.con.execute(sql, [channel])
        return {r[0] for r in rows}

    def last_attempt(self, alert_id: str, channel: str) -> tuple[int, str | None, str | None]:
        row = self.con.execute(
            "select attempt, status, error from delivery_attempts where alert_id = ? and channel = ? "
            "order by attempt desc limit 1",
            [alert_id, channel],
        ).fetchone()
        return (row[0], row[1], row[2]) if row else (0, None, None)

    def begin(self, alert_id: str, channel: str, recipient: str | None, published_at: str | None) -> int:
        """A new attempt, recorded as failed until `finish` says otherwise (a killed run leaves it failed)."""
        attempt = self.last_attempt(alert_id, channel)[0] + 1
        self.con.execute(
            "insert into delivery_attempts values (?, ?, ?, ?, 'failed', ?, ?, ?)",
            [alert_id, channel, recipient, attempt, INTERRUPTED, _now(), published_at],
        )
        return attempt

    def finish(self, alert_id: str, channel: str, attempt: int, status: str, error: str | None) -> None:
        self.con.execute(
            "update delivery_attempts set status = ?, error = ?, attempted_at = ? "
            "where alert_id = ? and channel = ? and attempt = ?",
            [status, error, _now(), alert_id, channel, attempt],
        )

    def skip(self, alert_id: str, channel: str, recipient: str | None, reason: str, published_at: str | None) -> bool:
        """Record a skip, unless the latest attempt was already skipped for the same reason. True when recorded."""
        attempt, status, error = self.last_attempt(alert_id, channel)
        if status == SKIPPED and error == reason:
            return False
        self.con.execute(
            "insert into delivery_attempts values (?, ?, ?, ?, 'skipped', ?, ?, ?)",
            [alert_id, channel, recipient, attempt + 1, reason, _now(), published_at],
        )
        return True

    def rows(self) -> list[dict[str, Any]]:
        cursor = self.con.execute("select * from delivery_attempts order by attempted_at, alert_id, channel, attempt")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------- channels


def post_webhook(url: str, text: str) -> None:
    """POST `{"text": ...}`; raises with the URL's secret parts redacted when the receiver does not take it."""
    payload = json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            if not 200 <= response.status < 300:
                raise OSError(f"HTTP {response.status}")
    except Exception as exc:
        raise OSError(f"webhook on {webhook_host(url)}: {type(exc).__name__}: {redact_url(str(exc), url)}") from None


def send_mail(config: DeliveryConfig, message: EmailMessage) -> None:
    """Send over SMTP (STARTTLS and login when configured); errors never carry the password."""
    try:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if config.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password or "")
            smtp.send_message(message)
    except Exception as exc:
        text = str(exc)
        if config.smtp_password:
            text = text.replace(config.smtp_password, "...")
        raise OSError(f"SMTP {config.smtp_host}:{config.smtp_port}: {type(exc).__name__}: {text}") from None


# ---------------------------------------------------------------- the run


def deliver_alerts(
    serving_path: Path,
    warehouse_path: Path,
    config: DeliveryConfig,
    *,
    dry_run: bool | None = None,
    manifest_path: Path | None = None,
) -> DeliveryResult:
    """Deliver every open episode not yet sent on each channel. Dry run when asked (argument, config) or when no
    channel is configured. One run at a time per ledger (a file lock beside it); raises DeliveryError when the
    serving copy cannot be read. A channel's failures are recorded in the ledger, never raised."""
    from cs_warehouse.report import default_manifest_path
    from cs_warehouse.runlock import warehouse_lock

    contracts = Contracts.from_manifest(manifest_path or default_manifest_path())
    episodes, published_at = load_open_episodes(serving_path, contracts)
    channels = config.configured_channels()
    dry = bool(dry_run) or config.dry_run or not channels
    result = DeliveryResult(dry_run=dry, published_at=published_at, episodes=len(episodes))
    config.directory.mkdir(parents=True, exist_ok=True)
    with warehouse_lock(config.ledger_path, "cs_warehouse deliver-alerts", 60):
        ledger = Ledger(config.ledger_path)
        try:
            pending = {}
            for channel in channels or CHANNELS:
                sent = ledger.sent(channel)
                pending[channel] = [e for e in episodes if e["alert_id"] not in sent]
            if dry:
                _dry_run(pending, contracts, config, warehouse_path, published_at, result)
            else:
                if WEBHOOK in pending:
                    _send_webhooks(pending[WEBHOOK], contracts, config, ledger, published_at, result)
                if EMAIL in pending:
                    _send_digests(pending[EMAIL], contracts, config, warehouse_path, ledger, published_at, result)
        finally:
            ledger.close()
    logger.info("alert delivery: %s", result.text())
    return result


def _gave_up(channel: str) -> str:
    return f"not tried: {channel} failed {MAX_FAILURES_IN_A_ROW} times in a row in this run"


def _send_webhooks(episodes, contracts, config, ledger, published_at, result) -> None:
    in_a_row = 0
    for episode in episodes:
        if in_a_row >= MAX_FAILURES_IN_A_ROW:
            ledger.skip(episode["alert_id"], WEBHOOK, episode["owner_csm_user_id"], _gave_up(WEBHOOK), published_at)
            result.add(WEBHOOK, SKIPPED)
            continue
        attempt = ledger.begin(episode["alert_id"], WEBHOOK, episode["owner_csm_user_id"], published_at)
        try:
            post_webhook(config.webhook_url, webhook_text(episode, contracts))
        except OSError as exc:
            in_a_row += 1
            ledger.finish(episode["alert_id"], WEBHOOK, attempt, FAILED, str(exc))
            logger.warning("alert %s not delivered by webhook (attempt %s): %s", episode["alert_id"], attempt, exc)
            result.add(WEBHOOK, FAILED)
            continue
        in_a_row = 0
        ledger.finish(episode["alert_id"], WEBHOOK, attempt, SENT, None)
        result.add(WEBHOOK, SENT)


def _by_owner(episodes: Iterable[dict[str, Any]]) -> dict[str | None, list[dict[str, Any]]]:
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for episode in episodes:
        groups.setdefault(episode["owner_csm_user_id"], []).append(episode)
    return groups


def _digest_day(published_at: str | None, zone: str) -> str:
    """The day of the publication (else of now) in the reporting time zone."""
    from zoneinfo import ZoneInfo

    moment = dt.datetime.fromisoformat(published_at) if published_at else dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


def _send_digests(episodes, contracts, config, warehouse_path, ledger, published_at, result) -> None:
    groups = _by_owner(episodes)
    addresses, unreadable = csm_addresses(warehouse_path) if groups else ({}, None)
    in_a_row = 0
    for owner, group in groups.items():
        to = addresses.get(owner) if owner else None
        if in_a_row >= MAX_FAILURES_IN_A_ROW:
            for episode in group:
                ledger.skip(episode["alert_id"], EMAIL, owner, _gave_up(EMAIL), published_at)
                result.add(EMAIL, SKIPPED)
            continue
        if to is None:
            reason = (
                "the alert has no owning CSM"
                if not owner
                else unreadable or f"no e-mail address for CSM {owner} in {ADDRESS_TABLE}"
            )
            for episode in group:
                ledger.skip(episode["alert_id"], EMAIL, owner, reason, published_at)
                result.add(EMAIL, SKIPPED)
            continue
        if not config.mail_from:
            reason = "no sender address (CSW_DELIVERY_MAIL_FROM)"
            for episode in group:
                ledger.skip(episode["alert_id"], EMAIL, owner, reason, published_at)
                result.add(EMAIL, SKIPPED)
            continue
        attempts = [(e, ledger.begin(e["alert_id"], EMAIL, owner, published_at)) for e in group]
        try:
            send_mail(
                config,
                digest_message(group, contracts, to, config.mail_from, _digest_day(published_at, config.timezone)),
            )
        except OSError as exc:
            in_a_row += 1
            for episode, attempt in attempts:
                ledger.finish(episode["alert_id"], EMAIL, attempt, FAILED, str(exc))
            logger.warning("digest for CSM %s not sent (%s episodes): %s", owner, len(group), exc)
            result.add(EMAIL, FAILED, len(group))
            continue
        in_a_row = 0
        for episode, attempt in attempts:
            ledger.finish(episode["alert_id"], EMAIL, attempt, SENT, None)
        result.add(EMAIL, SENT, len(group))


def _dry_run(pending, contracts, config, warehouse_path, published_at, result) -> None:
    """Write what would be sent: webhook/<alert_id>.json and email/<CSM user id>.eml, replacing the last dry run."""
    out = config.dry_run_dir
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if WEBHOOK in pending:
        (out / WEBHOOK).mkdir()
        for episode in pending[WEBHOOK]:
            body = {"text": webhook_text(episode, contracts)}
            (out / WEBHOOK / f"{episode['alert_id']}.json").write_text(
                json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            result.add(WEBHOOK, "dry_run")
    if EMAIL in pending:
        (out / EMAIL).mkdir()
        groups = _by_owner(pending[EMAIL])
        addresses, _ = csm_addresses(warehouse_path) if groups else ({}, None)
        sender = config.mail_from or "cs-warehouse@localhost"
        for owner, group in groups.items():
            message = digest_message(
                group, contracts, addresses.get(owner or ""), sender, _digest_day(published_at, config.timezone)
            )
            (out / EMAIL / f"{owner or 'no_owner'}.eml").write_bytes(bytes(message))
            result.add(EMAIL, "dry_run", len(group))
    summary = {"published_at": published_at, "episodes": result.episodes, "counts": result.counts}
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    result.dry_run_dir = out
