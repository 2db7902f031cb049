"""Shared fixtures: small generated landing folders and an independent reading of the contract YAML."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from cs_warehouse.tooling.generator import generate

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "contract" / "raw_contract.yml"
END = "2025-09-30"


@pytest.fixture(scope="session")
def contract() -> dict:
    with open(CONTRACT_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)["entities"]


@pytest.fixture(scope="session")
def clean_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(out, accounts=20, months=6, seed=7, end_date=END)
    return out


@pytest.fixture(scope="session")
def messy_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("messy")
    generate(out, accounts=20, months=6, seed=7, end_date=END, messy=True)
    return out


def manifest(folder: Path) -> dict:
    return json.loads((folder / "_manifest.json").read_text(encoding="utf-8"))


def read_csv(folder: Path, entity: str) -> tuple[list[str], list[dict[str, str]]]:
    """Decode with the encoding the manifest declares (the ingestion detects it; here it is known)."""
    encoding = manifest(folder)["encodings"][f"{entity}.csv"]
    text = (folder / f"{entity}.csv").read_bytes().decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]
