"""The dbt docs site as one file that opens offline, with each Japanese label in view (`make docs`).

`make docs` runs `dbt docs generate` (target/manifest.json, target/catalog.json), then
`cs-warehouse docs static-page`, which writes target/static_index.html: dbt's docs page with both files
inlined, as `dbt docs generate --static` does. dbt's page shows a column's meta, where `label_ja` lives, only
once the column's row is opened; so the page embeds a copy of the manifest in which every description of a
model, seed, source or column with a `label_ja` begins with it (`【期首MRR】 MRR at the end of the previous
month`). The yml stays the one source of both texts: target/manifest.json and the descriptions dbt persists as
warehouse comments are left as they are.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dbt.task.docs import DOCS_INDEX_FILE_PATH

TEMPLATE = Path(DOCS_INDEX_FILE_PATH)
# Where dbt's page takes its data; each is replaced by the JSON of the file.
PLACEHOLDERS = {"manifest.json": '"MANIFEST.JSON INLINE DATA"', "catalog.json": '"CATALOG.JSON INLINE DATA"'}


class DocsError(RuntimeError):
    """The dbt artifacts or dbt's docs page are not what the static page is built from."""


def _label_ja(node: Mapping[str, Any]) -> str:
    meta = {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}
    return str(meta.get("label_ja") or "").strip()


def labelled(description: str | None, label_ja: str) -> str:
    """The description led by its Japanese label in 【】 (once: a description led by it already is kept)."""
    text = description or ""
    lead = f"【{label_ja}】"
    if not label_ja or text.startswith(lead):
        return text
    return f"{lead} {text}".rstrip()


def with_labels(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the manifest whose model, seed, source and column descriptions begin with their `label_ja`."""
    result = copy.deepcopy(dict(manifest))
    for group in ("nodes", "sources"):
        for node in (result.get(group) or {}).values():
            node["description"] = labelled(node.get("description"), _label_ja(node))
            for column in (node.get("columns") or {}).values():
                column["description"] = labelled(column.get("description"), _label_ja(column))
    return result


def _inline(data: Any) -> str:
    # JSON is a JavaScript literal; "</" written as "<\/" (the same JSON string) so no description can end
    # the page's <script>.
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def write_static(target_dir: Path, template: Path = TEMPLATE) -> Path:
    """Write target_dir/static_index.html from its manifest.json (labelled) and catalog.json."""
    data = {}
    for name in PLACEHOLDERS:
        path = target_dir / name
        if not path.is_file():
            raise DocsError(f"{path} is missing: run `dbt docs generate` first (make docs does)")
        data[name] = json.loads(path.read_text(encoding="utf-8"))
    page = template.read_text(encoding="utf-8")
    for placeholder in PLACEHOLDERS.values():
        if page.count(placeholder) != 1:
            raise DocsError(f"{template}: the dbt docs page does not hold {placeholder} exactly once")
    payload = {
        PLACEHOLDERS["manifest.json"]: _inline(with_labels(data["manifest.json"])),
        PLACEHOLDERS["catalog.json"]: _inline(data["catalog.json"]),
    }
    pattern = re.compile("|".join(re.escape(p) for p in payload))
    out = target_dir / "static_index.html"
    out.write_text(pattern.sub(lambda m: payload[m.group(0)], page), encoding="utf-8")
    return out
