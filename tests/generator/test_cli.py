"""The generator's command line refuses to write into a landing folder that already holds files."""

from __future__ import annotations

from pathlib import Path

import pytest

from cs_warehouse.cli import main

SMALL = ["--accounts", "3", "--months", "1", "--seed", "7", "--end-date", "2025-09-30"]


def test_a_non_empty_folder_is_refused_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "accounts.csv").write_text("Id\nkept\n", encoding="utf-8")

    assert main(["generate", "--out", str(landing), *SMALL]) == 2

    assert [p.name for p in landing.iterdir()] == ["accounts.csv"]
    assert (landing / "accounts.csv").read_text(encoding="utf-8") == "Id\nkept\n"
    message = capsys.readouterr().err
    assert str(landing) in message
    assert "not empty" in message
    assert "--force" in message and "FORCE=1" in message


def test_force_writes_into_a_non_empty_folder_and_a_missing_folder_needs_none(tmp_path: Path) -> None:
    forced = tmp_path / "forced"
    forced.mkdir()
    (forced / "accounts.csv").write_text("Id\nstale\n", encoding="utf-8")
    (forced / "notes.txt").write_text("mine\n", encoding="utf-8")

    assert main(["generate", "--out", str(forced), *SMALL, "--force"]) == 0
    assert "stale" not in (forced / "accounts.csv").read_text(encoding="utf-8")
    assert (forced / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert (forced / "_manifest.json").exists()

    fresh = tmp_path / "fresh"
    assert main(["generate", "--out", str(fresh), *SMALL]) == 0
    assert (fresh / "_manifest.json").exists()
