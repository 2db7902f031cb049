"""Finding the landing folder's files: one export per snapshot entity, day folders of the partitioned ones.

A snapshot export is `<entity>.csv|.jsonl|.ndjson|.parquet` (exactly one of them); a day-partitioned entity's
files sit under `<entity>/dt=YYYY-MM-DD/`, and a folder whose name is not a real date stops the load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

from cs_warehouse.contract import Entity
from cs_warehouse.ingestion.readers import UnreadableFileError

FILE_FORMATS = (".csv", ".jsonl", ".ndjson", ".parquet")
PARTITION_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")


class MissingExportError(Exception):
    """Snapshot exports the contract expects are not in the landing folder. Names the files looked for."""

    def __init__(self, landing_dir: Path, entities: list[Entity]):
        expected = "; ".join(
            f"{e.name}: " + " or ".join(str(landing_dir / f"{e.name}{ext}") for ext in FILE_FORMATS) for e in entities
        )
        names = ",".join(e.name for e in entities)
        super().__init__(
            f"missing export(s) in the landing folder {landing_dir}: {expected}. The raw tables keep the last "
            f"loaded rows, which must not be published as tonight's. If the source never exports them, mark the "
            f"entity `optional: true` in contract/raw_contract.yml or set CSW_OPTIONAL_EXPORTS={names}"
        )
        self.entities = [e.name for e in entities]


class PartitionFolderError(Exception):
    """A day folder of a day-partitioned entity whose name is not dt=<a real date>."""

    def __init__(self, path: Path):
        super().__init__(
            f"{path}: day folder name is not dt=YYYY-MM-DD with a real calendar date (rule: partition_folder); "
            "rename or remove the folder: its files are not loaded until then"
        )
        self.path = str(path)
        self.rule = "partition_folder"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def snapshot_file(landing_dir: Path, entity: Entity) -> Path | None:
    found = [
        landing_dir / f"{entity.name}{ext}" for ext in FILE_FORMATS if (landing_dir / f"{entity.name}{ext}").exists()
    ]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise UnreadableFileError(landing_dir, f"entity {entity.name} has more than one export ({names}); keep one")
    return found[0] if found else None


def partition_files(landing_dir: Path, entity: Entity) -> list[tuple[dt.date, Path]]:
    root = landing_dir / entity.name
    if not root.is_dir():
        return []
    files = []
    for day_dir in sorted(root.iterdir()):
        if not day_dir.is_dir() or not day_dir.name.startswith("dt="):
            continue
        match = PARTITION_DIR.match(day_dir.name)
        try:
            day = dt.date.fromisoformat(match.group(1)) if match else None
        except ValueError:
            day = None
        if day is None:
            raise PartitionFolderError(day_dir)
        files += [(day, p) for p in sorted(day_dir.iterdir()) if p.suffix.lower() in FILE_FORMATS]
    return files
