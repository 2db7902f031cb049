from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pyarrow.dataset as ds
from _contract_checks import violations
from test_contract_conformance import CSV_ENTITIES

from conftest import manifest, read_csv


def test_messy_csv_counts_match_the_manifest(messy_dir: Path, contract: dict) -> None:
    m = manifest(messy_dir)
    keys = {n: {r[contract[n]["primary_key"]] for r in read_csv(messy_dir, n)[1]} for n in CSV_ENTITIES}
    for name in CSV_ENTITIES:
        _, rows = read_csv(messy_dir, name)
        expected = Counter(m["messy"]["csv"].get(name, {}))
        assert violations(contract[name], rows, keys) == expected, name
        assert len(rows) == m["row_counts_clean"][name] + m["messy"]["csv_rows_added"].get(name, 0)
        assert len(rows) == m["row_counts"][name]


def test_every_rule_is_exercised(messy_dir: Path) -> None:
    m = manifest(messy_dir)["messy"]
    rules = Counter()
    for counts in m["csv"].values():
        rules.update(counts)
    assert set(rules) == set(m["csv_rules_per_entity"])
    assert all(v > 0 for v in m["events"].values())


def test_messy_encodings(messy_dir: Path) -> None:
    assert (messy_dir / "accounts.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    (messy_dir / "cancellation_surveys.csv").read_bytes().decode("cp932")
    enc = manifest(messy_dir)["encodings"]
    assert enc["accounts.csv"] == "utf-8-sig"
    assert enc["cancellation_surveys.csv"] == enc["contacts.csv"] == "cp932"


def test_messy_event_counts(messy_dir: Path) -> None:
    m = manifest(messy_dir)
    t = ds.dataset(messy_dir / "product_events", format="parquet", partitioning="hive").to_table().to_pandas()
    _, users = read_csv(messy_dir, "product_users")
    known = {u["user_id"] for u in users}
    expected = m["messy"]["events"]
    assert t["messageId"].duplicated().sum() == expected["duplicate_message_id"]
    assert t["userId"].isna().sum() == expected["missing_user_id"]
    assert (t["userId"].notna() & ~t["userId"].isin(known)).sum() == expected["orphan_user"]
    assert ((t["receivedAt"] - t["timestamp"]) > timedelta(days=7)).sum() == expected["late_over_7_days"]
    assert len(t) == m["product_events"]["written"]
