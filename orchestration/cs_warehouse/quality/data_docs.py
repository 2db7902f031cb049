"""Great Expectations Data Docs that render offline.

GX's page templates load their styles and scripts (Bootstrap, bootstrap-table, jQuery, Font Awesome, ...) from
public CDNs and its logo from GX's web server: on a machine without internet the pages lose their layout and
their tables, which bootstrap-table draws in the browser. `make_offline` runs after each Data Docs build: it
copies the vendored files of `data_docs_assets/` (their licences and credits in its README.md) into the site's
`static/vendor/` and rewrites each page's CDN tags to relative paths there; the logo points at the copy GX
writes into `static/images/`. The Vega scripts, needed only by pages that draw charts (none of the project's
expectations does), are dropped from pages that draw none; a page that does keeps them and is reported.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

ASSETS_DIR = Path(__file__).parent / "data_docs_assets"
VENDOR_DIR = Path("static") / "vendor"
LOGO = Path("static") / "images" / "logo-long.png"

# URL in GX's templates (great_expectations/render/view/templates) -> vendored file under ASSETS_DIR.
VENDORED = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-prefers-dark.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
}
CHART_SCRIPTS = (
    "https://cdn.jsdelivr.net/npm/vega@5",
    "https://cdn.jsdelivr.net/npm/vega-lite@5",
    "https://cdn.jsdelivr.net/npm/vega-embed@6",
)
LOGO_HOST = "https://great-expectations-web-assets."

SCRIPT = re.compile(r"""<script\b[^>]*?\bsrc=["'](https?://[^"']+)["'][^>]*>\s*</script>""", re.I)
LINK = re.compile(r"""<link\b[^>]*?\bhref=["'](https?://[^"']+)["'][^>]*>""", re.I)
LOGO_URL = re.compile(re.escape(LOGO_HOST) + r"""[^"')\s]*""")
# What a browser fetches by itself: scripts, style sheets, images and CSS url()s (links are left alone).
EXTERNAL_ASSET = re.compile(
    r"""<script\b[^>]*\bsrc=["']?(https?:[^"'\s>]+)|<link\b[^>]*\bhref=["']?(https?:[^"'\s>]+)"""
    r"""|<img\b[^>]*\bsrc=["']?(https?:[^"'\s>]+)|url\(\s*["']?(https?:[^"')\s]+)""",
    re.I,
)


def _relative(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target, start)).as_posix()


def rewrite_page(html: str, page: Path, site: Path) -> str:
    """The page with GX's CDN tags pointing at the vendored copies under `site`/static/vendor."""
    uses_charts = "vegaEmbed(" in html

    def script(match: re.Match[str]) -> str:
        url = match.group(1)
        if url in VENDORED:
            return f'<script src="{_relative(site / VENDOR_DIR / VENDORED[url], page.parent)}"></script>'
        if url in CHART_SCRIPTS and not uses_charts:
            return ""
        return match.group(0)

    def link(match: re.Match[str]) -> str:
        url = match.group(1)
        if url in VENDORED:
            return f'<link rel="stylesheet" href="{_relative(site / VENDOR_DIR / VENDORED[url], page.parent)}">'
        return match.group(0)

    html = SCRIPT.sub(script, html)
    html = LINK.sub(link, html)
    return LOGO_URL.sub(_relative(site / LOGO, page.parent), html)


def external_assets(text: str) -> list[str]:
    """URLs of the scripts, style sheets, images and CSS url()s the text loads from the network."""
    return [next(g for g in m.groups() if g) for m in EXTERNAL_ASSET.finditer(text)]


def make_offline(site: Path, since: float | None = None) -> list[str]:
    """Vendor the assets into the Data Docs `site` and rewrite its pages and style sheets to use them.

    With `since` (a time.time() value), only the files written from then on are read: the pages GX has just
    rendered, not every page of the nights kept. Returns `file: url` of every external asset left in the files
    read (none unless GX's templates change or a page draws a chart).
    """
    shutil.copytree(ASSETS_DIR, site / VENDOR_DIR, dirs_exist_ok=True)
    left = []
    for path in sorted([*site.rglob("*.html"), *(site / "static" / "styles").glob("*.css")]):
        if "_stores" in path.relative_to(site).parts or (since is not None and path.stat().st_mtime < since):
            continue
        text = path.read_text(encoding="utf-8")
        new = rewrite_page(text, path, site)
        if new != text:
            path.write_text(new, encoding="utf-8")
        left += [f"{path.relative_to(site).as_posix()}: {url}" for url in external_assets(new)]
    return left
