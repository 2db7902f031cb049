"""The GX Data Docs load their scripts, styles and images from the site itself, so they render offline."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
from pathlib import Path

import great_expectations.expectations as gxe
import pytest

from cs_warehouse.quality.data_docs import ASSETS_DIR, make_offline, rewrite_page
from cs_warehouse.quality.runner import run_suite
from cs_warehouse.quality.spec import CRITICAL, Part, Suite, table
from tests.quality.conftest import accounts_sql, write_warehouse
from tests.report.conftest import chromium, render_in_browser  # noqa: F401 (chromium: a fixture)

NOW = dt.datetime(2026, 3, 31, 15, tzinfo=dt.UTC)
# What a browser fetches without a click: scripts, style sheets, images, CSS url()s.
REMOTE = re.compile(
    r"<script[^>]*\ssrc=[\"']?https?:|<link[^>]*\shref=[\"']?https?:|<img[^>]*\ssrc=[\"']?https?:"
    r"|url\(\s*[\"']?https?:",
    re.I,
)
# Local scripts, style sheets and images (GX's favicon links are left out: GX writes them one level short on
# deep validation pages, and a missing favicon changes nothing on the page).
LOCAL = re.compile(
    r"<(?:script|img)\b[^>]*\ssrc=\"([^\"#:]+)\"|<link rel=\"stylesheet\"[^>]*\shref=\"([^\"#:]+)\"", re.I
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data Docs of one small validation: two expectations on raw.accounts, one failing (a duplicate id)."""
    folder = tmp_path_factory.mktemp("gx_docs")
    rows = [("A1", "smb", "2026-03-01 00:00:00+00"), ("A1", "enterprise", "2026-03-02 00:00:00+00")]
    db = write_warehouse(folder / "wh.duckdb", accounts_sql(rows))
    part = Part(
        name="table",
        sql=table("raw", "accounts"),
        keys=("id",),
        expectations=[
            gxe.ExpectColumnValuesToBeUnique(column="id", severity=CRITICAL),
            gxe.ExpectColumnValuesToNotBeNull(column="id", severity=CRITICAL),
        ],
    )
    suite = Suite(name="raw.accounts", asset_key=("raw", "accounts"), parts=[part])
    outcome = run_suite(suite, db, docs_dir=folder / "docs", now=NOW)
    assert [o.success for o in outcome.outcomes] == [False, True]
    return folder / "docs"


def _pages(site: Path) -> list[Path]:
    files = [*site.rglob("*.html"), *(site / "static" / "styles").glob("*.css")]
    return sorted(p for p in files if "_stores" not in p.relative_to(site).parts)


def test_no_page_loads_a_script_style_or_image_from_the_network(site: Path) -> None:
    pages = _pages(site)
    assert {p.relative_to(site).parts[0] for p in pages} >= {"index.html", "validations", "static"}
    remote = {p.relative_to(site).as_posix(): REMOTE.findall(p.read_text(encoding="utf-8")) for p in pages}
    assert {page: found for page, found in remote.items() if found} == {}


def test_every_local_asset_a_page_loads_exists(site: Path) -> None:
    missing, loaded = [], set()
    for page in (p for p in _pages(site) if p.suffix == ".html"):
        for ref in (a or b for a, b in LOCAL.findall(page.read_text(encoding="utf-8"))):
            target = (page.parent / ref).resolve()
            loaded.add(target)
            if not target.is_file():
                missing.append(f"{page.relative_to(site)}: {ref}")
    assert missing == []
    for name in ("jquery.min.js", "bootstrap-table.min.js", "bootstrap.min.css", "fontawesome/css/all.min.css"):
        assert (site / "static" / "vendor" / name).resolve() in loaded, name
    # the style sheet's fonts come along
    assert (site / "static" / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.woff2").is_file()


def test_the_index_and_a_validation_page_draw_their_tables_offline(
    site: Path,
    chromium: str,  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    """bootstrap-table draws the tables in the browser: rows appear only when the vendored scripts ran."""
    index, console = render_in_browser(chromium, site / "index.html", tmp_path / "profile", offline=True)
    rows = re.findall(r'<tr class="clickable-row" data-href="(validations/[^"]+)" data-index="\d+"', index)
    assert len(rows) == 1 and rows[0].endswith("/table.html"), rows
    assert [line for line in console if "Uncaught" in line or "ERR_" in line] == []
    page, console = render_in_browser(chromium, site / rows[0], tmp_path / "profile", offline=True)
    assert "values must be unique" in page and "values must never be null" in page
    assert len(re.findall(r"<tr[^>]*data-index=", page)) >= 2
    assert [line for line in console if "Uncaught" in line or "ERR_" in line] == []


def test_the_vendored_scripts_are_the_files_gx_pins() -> None:
    """Subresource Integrity hashes of GX's templates (js_script_imports.j2) for the two files it pins."""
    pinned = {
        "popper.min.js": "ApNbgh9B+Y1QKtv3Rn7W3mgPxhU9K/ScQsAP7hUibX39j7fakFPskvXusvfa0b4Q",
        "bootstrap.min.js": "JjSmVgyd0p3pXB1rRibZUAYoIIy6OrQ6VrjIEaFf/nJGzIxFDsf4x0xIM+B07jRM",
    }
    for name, sri in pinned.items():
        assert base64.b64encode(hashlib.sha384((ASSETS_DIR / name).read_bytes()).digest()).decode() == sri, name


def test_every_vendored_file_is_credited_with_its_licence() -> None:
    readme = (ASSETS_DIR / "README.md").read_text(encoding="utf-8")
    files = [p.relative_to(ASSETS_DIR).as_posix() for p in ASSETS_DIR.rglob("*") if p.is_file()]
    vendored = [f for f in files if not f.startswith("licenses/") and f != "README.md"]
    assert len(vendored) == 14
    assert [f for f in vendored if f"`{f}`" not in readme] == []
    licences = [f for f in files if f.startswith("licenses/")]
    assert len(licences) == 7 and [f for f in licences if f"`{f}`" not in readme] == []


def test_a_page_is_rewritten_to_relative_paths_and_chart_scripts_go_only_when_unused(tmp_path: Path) -> None:
    page = tmp_path / "validations" / "a" / "p.html"
    html = (
        '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>\n'
        '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>\n'
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js" '
        'integrity="sha384-x" crossorigin="anonymous"></script>\n'
        '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1&id=2" />\n'
        '<a href="https://greatexpectations.io">GX</a>\n'
    )
    assert rewrite_page(html, page, tmp_path) == (
        "\n"
        '<link rel="stylesheet" href="../../static/vendor/bootstrap.min.css">\n'
        '<script src="../../static/vendor/popper.min.js"></script>\n'
        '<img src="../../static/images/logo-long.png" />\n'
        '<a href="https://greatexpectations.io">GX</a>\n'
    )
    # a page that draws a chart keeps the chart scripts, and they are reported
    charted = html + "<script>vegaEmbed('#g', spec)</script>"
    page.parent.mkdir(parents=True)
    page.write_text(charted, encoding="utf-8")
    assert make_offline(tmp_path) == ["validations/a/p.html: https://cdn.jsdelivr.net/npm/vega@5"]
    assert (tmp_path / "static" / "vendor" / "jquery.min.js").is_file()
    assert '<script src="../../static/vendor/popper.min.js"></script>' in page.read_text(encoding="utf-8")


def test_with_since_only_the_pages_written_since_are_read(tmp_path: Path) -> None:
    tag = '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
    old, new = tmp_path / "old.html", tmp_path / "new.html"
    old.write_text(tag, encoding="utf-8")
    new.write_text(tag, encoding="utf-8")
    os.utime(old, (1_000_000, 1_000_000))
    assert make_offline(tmp_path, since=2_000_000) == []
    assert old.read_text(encoding="utf-8") == tag
    assert new.read_text(encoding="utf-8") == '<script src="static/vendor/jquery.min.js"></script>'
