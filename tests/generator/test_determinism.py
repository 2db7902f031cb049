from __future__ import annotations

import hashlib
from pathlib import Path

from cs_warehouse.tooling.generator import generate


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    args = {"accounts": 8, "months": 3, "seed": 11, "end_date": "2025-06-30", "messy": True}
    generate(tmp_path / "a", **args)
    generate(tmp_path / "b", **args)
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert a == b
    assert any(name.startswith("product_events/") for name in a)


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", accounts=8, months=3, seed=11, end_date="2025-06-30")
    generate(tmp_path / "b", accounts=8, months=3, seed=12, end_date="2025-06-30")
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert a.keys() & b.keys()
    assert a["accounts.csv"] != b["accounts.csv"]
    assert a["product_users.csv"] != b["product_users.csv"]


def test_jsonl_events(tmp_path: Path) -> None:
    import json

    generate(tmp_path, accounts=5, months=2, seed=3, end_date="2025-06-30", event_format="jsonl")
    files = sorted((tmp_path / "product_events").glob("dt=*/part-0.jsonl"))
    assert len(files) == 61
    lines = [json.loads(line) for f in files[:20] for line in f.read_text(encoding="utf-8").splitlines()]
    assert lines
    assert list(lines[0]) == [
        "messageId",
        "userId",
        "groupId",
        "event",
        "feature",
        "sessionId",
        "isSystem",
        "timestamp",
        "receivedAt",
        "properties",
    ]
    assert all(r["timestamp"].endswith("Z") and r["receivedAt"].endswith("Z") for r in lines)
    assert any(isinstance(r["properties"], dict) for r in lines)
