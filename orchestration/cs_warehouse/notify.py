"""Failure notifications: a log line always, and a JSON POST when CSW_NOTIFY_WEBHOOK_URL is set."""

from __future__ import annotations

import json
import logging
import urllib.request

logger = logging.getLogger("cs_warehouse.notify")


def notify_failure(summary: str, reasons: list[str], webhook_url: str | None) -> bool:
    """Returns True when the webhook accepted the message (or none is configured)."""
    logger.error("nightly build failed: %s | %s", summary, "; ".join(reasons))
    if not webhook_url:
        return True
    payload = json.dumps({"text": f"CS warehouse: {summary}", "reasons": reasons}, ensure_ascii=False).encode()
    request = urllib.request.Request(webhook_url, data=payload, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return 200 <= response.status < 300
    except OSError as exc:  # a broken webhook must not hide the failure it reports
        logger.error("failure webhook %s did not answer: %s", webhook_url, exc)
        return False
