"""Alert delivery against a real local webhook receiver and a real local SMTP server (tests/delivery/conftest.py).

Two CSMs: u1 has an e-mail address, u2 has none. Night 1 has open alerts A, B (u1) and C (u2) and a closed one;
night 2 keeps A and C open, closes B and opens D (u1)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from cs_warehouse.delivery import DeliveryConfig, deliver_alerts
from tests.delivery.conftest import MANIFEST, WEBHOOK_TOKEN, Alert, write_serving, write_warehouse

NIGHT_1 = [
    Alert("al-A", "001A", "usage_drop", "critical", "u1"),
    Alert("al-B", "001B", "low_seat_utilisation", "warning", "u1", evidence=("active_user_share", 0.25, 40, 0.3)),
    Alert("al-C", "001C", "new_detractor", "warning", "u2", evidence=("lowest_detractor_score", 3, 2, 6)),
    Alert("al-X", "001C", "key_user_inactive", "warning", "u1", status="closed"),
]
NIGHT_2 = [
    Alert("al-A", "001A", "usage_drop", "critical", "u1", detected_days=4),
    Alert("al-B", "001B", "low_seat_utilisation", "warning", "u1", status="closed"),
    Alert("al-C", "001C", "new_detractor", "warning", "u2", evidence=("lowest_detractor_score", 3, 3, 6)),
    Alert("al-D", "001B", "renewal_at_risk", "critical", "u1", evidence=("days_to_renewal", 45, 31.5, 90)),
]
U1_EMAIL = "tanaka@example.co.jp"


@pytest.fixture
def night(tmp_path: Path, contracts):
    """Publish night 1 or 2 into tmp_path/serving; the warehouse holds the users."""
    warehouse = write_warehouse(tmp_path / "warehouse" / "wh.duckdb", [("u1", U1_EMAIL), ("u2", None)])
    serving = tmp_path / "serving" / "cs_marts.duckdb"

    def publish(alerts: list[Alert], published_at: str) -> tuple[Path, Path]:
        return write_serving(serving, contracts, alerts, published_at), warehouse

    return publish


def config(tmp_path: Path, webhook=None, smtp=None, **overrides) -> DeliveryConfig:
    settings = {
        "directory": tmp_path / "warehouse" / "delivery",
        "webhook_url": webhook.url if webhook else None,
        "smtp_host": smtp.host if smtp else None,
        "smtp_port": smtp.port if smtp else 587,
        "smtp_starttls": False,
        "mail_from": "cs-alerts@example.co.jp",
    }
    return DeliveryConfig(**{**settings, **overrides})


def ledger(cfg: DeliveryConfig) -> list[tuple]:
    with sqlite3.connect(cfg.ledger_path) as con:
        return con.execute(
            "select alert_id, channel, recipient, attempt, status, error from delivery_attempts "
            "order by alert_id, channel, attempt"
        ).fetchall()


def alert_ids_in(text: str) -> list[str]:
    return sorted(a for a in ("al-A", "al-B", "al-C", "al-D", "al-E", "al-X") if a in text)


def test_each_episode_is_sent_once_over_two_nights(tmp_path, night, webhook, smtp) -> None:
    cfg = config(tmp_path, webhook, smtp)
    serving, warehouse = night(NIGHT_1, "2026-12-01T17:30:00+00:00")
    deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)

    # one webhook message per open episode, largest ARR first; the closed one never
    assert [alert_ids_in(m["text"]) for m in webhook.accepted] == [["al-A"], ["al-B"], ["al-C"]]
    # one digest, to u1, with A and B; u2 has no address: skipped with the reason
    assert len(smtp.accepted) == 1
    recipients, message = smtp.accepted[0]
    assert recipients == [U1_EMAIL]
    assert alert_ids_in(message.get_content()) == ["al-A", "al-B"]
    # published 17:30 UTC on Dec 1 = Dec 2 in Tokyo; two episodes
    assert message["Subject"] == "【解約予兆アラート】2026-12-02 2 件（u1）"
    assert ledger(cfg) == [
        ("al-A", "email", "u1", 1, "sent", None),
        ("al-A", "webhook", "u1", 1, "sent", None),
        ("al-B", "email", "u1", 1, "sent", None),
        ("al-B", "webhook", "u1", 1, "sent", None),
        ("al-C", "email", "u2", 1, "skipped", "no e-mail address for CSM u2 in raw.users"),
        ("al-C", "webhook", "u2", 1, "sent", None),
    ]

    serving, warehouse = night(NIGHT_2, "2026-12-02T17:30:00+00:00")
    deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)

    # night 2: only the new episode D; A (still open) is not sent again, C's skip is not repeated
    assert [alert_ids_in(m["text"]) for m in webhook.accepted[3:]] == [["al-D"]]
    assert len(smtp.accepted) == 2
    assert smtp.accepted[1][0] == [U1_EMAIL]
    assert alert_ids_in(smtp.accepted[1][1].get_content()) == ["al-D"]
    rows = ledger(cfg)
    assert len(rows) == 8
    assert ("al-D", "webhook", "u1", 1, "sent", None) in rows
    assert ("al-D", "email", "u1", 1, "sent", None) in rows
    assert sum(1 for r in rows if r[0] == "al-A" and r[4] == "sent") == 2  # once per channel


def test_the_message_is_japanese_with_the_evidence_arr_renewal_and_trend(tmp_path, night, webhook) -> None:
    cfg = config(tmp_path, webhook)
    serving, warehouse = night(NIGHT_1, "2026-12-01T17:30:00+00:00")
    deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)
    text = webhook.accepted[0]["text"]
    # labels of the alert type and severity (report i18n), of the columns (the marts' yml label_ja)
    for expected in (
        "株式会社アルファ（001A）",
        "アラート種別: 利用量の減少",
        "重要度: 重大",
        "0.42",  # evidence value
        "0.48",  # compared with last week
        "警告となる基準比 0.60",  # the threshold, named for the rule
        "ARR: 1,200万円",  # 12,000,000 JPY
        "次回更新日: 2027-03-31",
        "ヘルススコア: 35.5",
        "-12.5",  # 30-day change
        "トレンド: 低下",
        "初回検知日: 2026-11-20",
        "担当CSM: u1",
        "al-A",
    ):
        assert expected in text, expected
    assert "ベータ工業株式会社" in webhook.accepted[1]["text"]
    assert "次回更新日: –" in webhook.accepted[1]["text"]  # no renewal date


def test_a_rerun_of_the_same_night_sends_nothing_new(tmp_path, night, webhook, smtp) -> None:
    cfg = config(tmp_path, webhook, smtp)
    serving, warehouse = night(NIGHT_1, "2026-12-01T17:30:00+00:00")
    deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)
    first = ledger(cfg)
    result = deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)
    assert len(webhook.accepted) == 3
    assert len(smtp.accepted) == 1
    assert ledger(cfg) == first
    assert result.counts == {"email": {"skipped": 1}}  # C: still no address (not recorded again)


def test_a_receiver_that_fails_is_retried_on_the_next_run_without_leaking_the_url(
    tmp_path, night, webhook, smtp, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    cfg = config(tmp_path, webhook, smtp)
    webhook.fail_next, smtp.fail_next = 3, 1
    serving, warehouse = night(NIGHT_1, "2026-12-01T17:30:00+00:00")
    result = deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)
    assert result.counts == {"webhook": {"failed": 3}, "email": {"failed": 2, "skipped": 1}}
    assert webhook.refused == 3 and webhook.accepted == [] and smtp.accepted == []
    failed = [r for r in ledger(cfg) if r[4] == "failed"]
    assert [(r[0], r[1], r[3]) for r in failed] == [
        ("al-A", "email", 1), ("al-A", "webhook", 1), ("al-B", "email", 1), ("al-B", "webhook", 1),
        ("al-C", "webhook", 1),
    ]  # fmt: skip
    assert all("500" in r[5] for r in failed if r[1] == "webhook")
    assert all("451" in r[5] for r in failed if r[1] == "email")

    deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)  # the receivers recovered
    assert [alert_ids_in(m["text"]) for m in webhook.accepted] == [["al-A"], ["al-B"], ["al-C"]]
    assert len(smtp.accepted) == 1 and alert_ids_in(smtp.accepted[0][1].get_content()) == ["al-A", "al-B"]
    sent = [(r[0], r[1], r[3]) for r in ledger(cfg) if r[4] == "sent"]
    assert sent == [
        ("al-A", "email", 2), ("al-A", "webhook", 2), ("al-B", "email", 2), ("al-B", "webhook", 2),
        ("al-C", "webhook", 2),
    ]  # fmt: skip
    # the webhook URL's token is a secret: neither in the ledger nor in the log
    token_parts = WEBHOOK_TOKEN.split("/")
    stored = " ".join(str(r) for r in ledger(cfg))
    assert not any(part in stored or part in caplog.text for part in token_parts)
    assert "127.0.0.1" in stored  # the host is named


def test_dry_run_writes_the_messages_to_files_and_records_nothing(tmp_path, night) -> None:
    cfg = config(tmp_path)  # no channel configured: a dry run
    serving, warehouse = night(NIGHT_1, "2026-12-01T17:30:00+00:00")
    result = deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)
    out = cfg.directory / "dry_run"
    assert result.dry_run and result.dry_run_dir == out
    assert sorted(p.name for p in (out / "webhook").iterdir()) == ["al-A.json", "al-B.json", "al-C.json"]
    assert sorted(p.name for p in (out / "email").iterdir()) == ["u1.eml", "u2.eml"]
    u1 = (out / "email" / "u1.eml").read_bytes().decode("ascii")
    assert f"To: {U1_EMAIL}" in u1
    assert "To:" not in (out / "email" / "u2.eml").read_bytes().decode("ascii")
    assert ledger(cfg) == []


def test_dry_run_by_flag_sends_nothing_although_channels_are_configured(tmp_path, night, webhook, smtp) -> None:
    cfg = config(tmp_path, webhook, smtp, dry_run=True)
    serving, warehouse = night(NIGHT_1, "2026-12-01T17:30:00+00:00")
    deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)
    assert webhook.accepted == [] and smtp.accepted == [] and webhook.refused == 0
    assert len(list((cfg.directory / "dry_run" / "webhook").iterdir())) == 3
    assert ledger(cfg) == []
    cfg_real = config(tmp_path, webhook, smtp)  # a real run afterwards still sends everything
    deliver_alerts(serving, warehouse, cfg_real, manifest_path=MANIFEST)
    assert len(webhook.accepted) == 3 and len(smtp.accepted) == 1


def test_an_attempt_a_killed_run_left_open_counts_as_failed_and_is_sent_again(tmp_path, night, webhook) -> None:
    from cs_warehouse.delivery import INTERRUPTED, Ledger

    cfg = config(tmp_path, webhook)
    serving, warehouse = night(NIGHT_1, "2026-12-01T17:30:00+00:00")
    cfg.directory.mkdir(parents=True)
    killed = Ledger(cfg.ledger_path)
    killed.begin("al-A", "webhook", "u1", "2026-12-01T17:30:00+00:00")  # the process died before the answer
    killed.close()
    deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)
    assert [r for r in ledger(cfg) if r[0] == "al-A"] == [
        ("al-A", "webhook", "u1", 1, "failed", INTERRUPTED),
        ("al-A", "webhook", "u1", 2, "sent", None),
    ]
    assert len(webhook.accepted) == 3


def test_the_ledger_refuses_a_second_sent_row_for_an_episode_and_channel(tmp_path) -> None:
    from cs_warehouse.delivery import Ledger

    book = Ledger(tmp_path / "ledger.sqlite")
    first = book.begin("al-A", "webhook", "u1", None)
    book.finish("al-A", "webhook", first, "sent", None)
    second = book.begin("al-A", "webhook", "u1", None)
    with pytest.raises(sqlite3.IntegrityError):
        book.finish("al-A", "webhook", second, "sent", None)
    book.close()


def test_the_owner_is_named_and_alerts_not_actionable_or_past_the_cap_are_held_back(tmp_path, night, webhook) -> None:
    """al-B's type is switched off and al-C is past its CSM's daily cap: only al-A goes out, with the CSM's name.
    When al-C comes within the cap on a later night it is delivered then."""
    cfg = config(tmp_path, webhook)
    first = [
        Alert("al-A", "001A", "usage_drop", "critical", "u1", owner_name="田中 一郎"),
        Alert("al-B", "001B", "low_seat_utilisation", "warning", "u1", enabled=False),
        Alert("al-C", "001C", "new_detractor", "warning", "u2", within_cap=False),
    ]
    serving, warehouse = night(first, "2026-12-01T17:30:00+00:00")
    deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)
    assert [alert_ids_in(m["text"]) for m in webhook.accepted] == [["al-A"]]
    assert "担当CSM: 田中 一郎（u1）" in webhook.accepted[0]["text"]

    later = [*first[:2], Alert("al-C", "001C", "new_detractor", "warning", "u2")]
    serving, warehouse = night(later, "2026-12-02T17:30:00+00:00")
    deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)
    assert [alert_ids_in(m["text"]) for m in webhook.accepted] == [["al-A"], ["al-C"]]


def test_no_e_mail_is_sent_while_a_nightly_holds_the_warehouse_lock(tmp_path, night, smtp) -> None:
    import subprocess
    import sys

    cfg = config(tmp_path, smtp=smtp)
    serving, warehouse = night(NIGHT_1, "2026-12-01T17:30:00+00:00")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from cs_warehouse.runlock import warehouse_lock\n"
         f"with warehouse_lock(Path({str(warehouse)!r}), 'nightly'):\n"
         "    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)
    finally:
        holder.kill()
        holder.wait()
    assert smtp.accepted == []
    reasons = {r[5] for r in ledger(cfg) if r[1] == "email"}
    assert reasons == {"CSM addresses not read: a nightly build holds the warehouse lock"}
    deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)  # the lock is free: sent
    assert len(smtp.accepted) == 1


def test_a_channel_that_keeps_failing_is_not_tried_again_in_the_run(tmp_path, night, webhook) -> None:
    cfg = config(tmp_path, webhook)
    five = [*NIGHT_1[:3], *NIGHT_2[3:], Alert("al-E", "001A", "urgent_ticket_overdue", "critical", "u1")]
    serving, warehouse = night(five, "2026-12-01T17:30:00+00:00")
    webhook.fail_next = 100  # down for this run
    result = deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)
    assert webhook.refused == 3
    assert result.counts == {"webhook": {"failed": 3, "skipped": 2}}
    skipped = [r for r in ledger(cfg) if r[4] == "skipped"]
    assert {r[5] for r in skipped} == {"not tried: webhook failed 3 times in a row in this run"}
    webhook.fail_next = 0  # back up
    deliver_alerts(serving, warehouse, cfg, manifest_path=MANIFEST)
    assert sorted(alert_ids_in(m["text"])[0] for m in webhook.accepted) == ["al-A", "al-B", "al-C", "al-D", "al-E"]
