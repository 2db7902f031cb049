"""Delivery in the nightly job: the asset after the publish, and the `deliver-alerts` command."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import dagster as dg
import duckdb

from tests.conftest import warehouse_resources
from tests.delivery.conftest import free_port, write_serving, write_warehouse
from tests.delivery.test_alert_delivery import NIGHT_1, U1_EMAIL


def _warehouse_with_marts(tmp_path: Path, contracts) -> Path:
    """A build warehouse holding the two marts delivery reads (what the publish copies) and raw.users."""
    warehouse = write_serving(tmp_path / "warehouse" / "wh.duckdb", contracts, NIGHT_1, "unused")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table main._publication")
    return write_warehouse(warehouse, [("u1", U1_EMAIL), ("u2", None)])


def _env(monkeypatch, tmp_path: Path, warehouse: Path) -> Path:
    serving = tmp_path / "serving" / "cs_marts.duckdb"
    monkeypatch.setenv("CSW_DUCKDB_PATH", str(warehouse))
    monkeypatch.setenv("CSW_SERVING_PATH", str(serving))
    for name in ("CSW_DELIVERY_DIR", "CSW_DELIVERY_DRY_RUN", "CSW_DELIVERY_SMTP_USER", "CSW_DELIVERY_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return serving


def test_a_failing_channel_does_not_fail_the_publish(tmp_path, monkeypatch, contracts, webhook) -> None:
    from cs_warehouse.defs.delivery import alert_delivery
    from cs_warehouse.defs.publish import serving_marts

    serving = _env(monkeypatch, tmp_path, _warehouse_with_marts(tmp_path, contracts))
    webhook.fail_next = 100  # the webhook answers 500
    monkeypatch.setenv("CSW_DELIVERY_WEBHOOK_URL", webhook.url)
    monkeypatch.setenv("CSW_DELIVERY_SMTP_HOST", "127.0.0.1")  # nothing listens there
    monkeypatch.setenv("CSW_DELIVERY_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("CSW_DELIVERY_SMTP_STARTTLS", "false")
    monkeypatch.setenv("CSW_DELIVERY_MAIL_FROM", "cs-alerts@example.co.jp")

    result = dg.materialize([serving_marts, alert_delivery], raise_on_error=False, resources=warehouse_resources())

    assert result.success
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select count(*) from marts.mart_churn_risk_alerts").fetchone()[0] == 4
    assert json.loads((serving.parent / "publish_status.json").read_text())["status"] == "published"
    ledger = tmp_path / "warehouse" / "delivery" / "delivery_ledger.sqlite"
    with sqlite3.connect(ledger) as con:
        statuses = con.execute("select channel, status, count(*) from delivery_attempts group by 1, 2 order by 1, 2")
        assert statuses.fetchall() == [("email", "failed", 2), ("email", "skipped", 1), ("webhook", "failed", 3)]
    assert webhook.refused == 3


def test_a_delivery_that_cannot_run_does_not_fail_the_run(tmp_path, monkeypatch) -> None:
    from cs_warehouse.defs.delivery import DELIVERY_KEY, alert_delivery

    _env(monkeypatch, tmp_path, tmp_path / "warehouse" / "wh.duckdb")  # nothing published yet
    result = dg.materialize([alert_delivery], raise_on_error=False, resources=warehouse_resources())
    assert result.success
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == DELIVERY_KEY]
    metadata = event.materialization.metadata
    assert metadata["status"].value == "not run"
    assert "no serving copy" in metadata["error"].value


def test_the_command_dry_run_writes_files_and_sends_nothing(tmp_path, monkeypatch, contracts, webhook, capsys) -> None:
    from cs_warehouse.cli import main

    warehouse = write_warehouse(tmp_path / "warehouse" / "wh.duckdb", [("u1", U1_EMAIL)])
    serving = _env(monkeypatch, tmp_path, warehouse)
    write_serving(serving, contracts, NIGHT_1, "2026-12-01T17:30:00+00:00")
    monkeypatch.setenv("CSW_DELIVERY_WEBHOOK_URL", webhook.url)
    monkeypatch.delenv("CSW_DELIVERY_SMTP_HOST", raising=False)

    assert main(["deliver-alerts", "--dry-run"]) == 0
    assert webhook.accepted == [] and webhook.refused == 0
    files = sorted(p.name for p in (tmp_path / "warehouse" / "delivery" / "dry_run" / "webhook").iterdir())
    assert files == ["al-A.json", "al-B.json", "al-C.json"]
    assert "dry run" in capsys.readouterr().out

    assert main(["deliver-alerts"]) == 0  # configured webhook, no dry run: sent
    assert len(webhook.accepted) == 3


def test_the_command_exits_non_zero_when_an_attempt_failed(tmp_path, monkeypatch, contracts, webhook) -> None:
    from cs_warehouse.cli import main

    warehouse = write_warehouse(tmp_path / "warehouse" / "wh.duckdb", [("u1", U1_EMAIL)])
    serving = _env(monkeypatch, tmp_path, warehouse)
    write_serving(serving, contracts, NIGHT_1, "2026-12-01T17:30:00+00:00")
    monkeypatch.setenv("CSW_DELIVERY_WEBHOOK_URL", webhook.url)
    monkeypatch.delenv("CSW_DELIVERY_SMTP_HOST", raising=False)
    webhook.fail_next = 1
    assert main(["deliver-alerts"]) == 1
    assert len(webhook.accepted) == 2
    assert not (serving.parent / "last_failure.json").exists()  # a delivery is not a failed night


def test_delivery_settings_come_from_the_environment(tmp_path, monkeypatch) -> None:
    import pytest

    from cs_warehouse.settings import Settings

    _env(monkeypatch, tmp_path, tmp_path / "wh" / "warehouse.duckdb")
    for name in ("CSW_DELIVERY_WEBHOOK_URL", "CSW_DELIVERY_SMTP_HOST", "CSW_DELIVERY_SMTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    config = Settings.from_env().delivery
    assert config.directory == tmp_path / "wh" / "delivery"  # beside the warehouse file
    assert config.configured_channels() == () and config.smtp_port == 587 and config.smtp_starttls
    monkeypatch.setenv("CSW_DELIVERY_SMTP_HOST", "mail.example.jp")
    monkeypatch.setenv("CSW_DELIVERY_SMTP_PASSWORD", "s3cret-pw")
    monkeypatch.setenv("CSW_DELIVERY_SMTP_STARTTLS", "no")
    config = Settings.from_env().delivery
    assert config.configured_channels() == ("email",) and not config.smtp_starttls
    assert "s3cret-pw" not in repr(config)
    monkeypatch.setenv("CSW_DELIVERY_SMTP_STARTTLS", "maybe")
    with pytest.raises(ValueError, match="CSW_DELIVERY_SMTP_STARTTLS='maybe'"):
        _ = Settings.from_env().delivery
