"""Failure notifications: a log line always, and a JSON POST when CSW_NOTIFY_WEBHOOK_URL is set.

The webhook URL is a secret (a Slack-style hook carries its token in the path): only its host is ever
logged."""

from __future__ import annotations

import json
import logging
import urllib.parse
import urllib.request

logger = logging.getLogger("cs_warehouse.notify")


def webhook_host(url: str) -> str:
    try:
        return urllib.parse.urlsplit(url).hostname or "(no host)"
    except ValueError:
        return "(unparsable URL)"


def redact_url(text: str, url: str) -> str:
    """`text` without the URL, its path or its query (an error message may quote them)."""
    text = text.replace(url, webhook_host(url))
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return text
    for secret in (parts.query, parts.path if len(parts.path) > 1 else ""):
        if secret:
            text = text.replace(secret, "...")
    return text


def notify_failure(summary: str, reasons: list[str], webhook_url: str | None) -> bool:
    """Returns True when the webhook accepted the message (or none is configured). Never raises."""
    logger.error("nightly build failed: %s | %s", summary, "; ".join(reasons))
    if not webhook_url:
        return True
    host = webhook_host(webhook_url)
    payload = json.dumps({"text": f"CS warehouse: {summary}", "reasons": reasons}, ensure_ascii=False).encode()
    try:
        request = urllib.request.Request(webhook_url, data=payload, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            if 200 <= response.status < 300:
                return True
            logger.error("failure webhook on %s answered HTTP %s", host, response.status)
            return False
    except Exception as exc:  # a broken webhook must not hide the failure it reports
        logger.error(
            "failure webhook on %s did not answer: %s: %s", host, type(exc).__name__, redact_url(str(exc), webhook_url)
        )
        return False
