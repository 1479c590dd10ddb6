"""The pipeline view's pages and assets: each page loads only the package's own files (no
CDN, nothing from another host), and every file a page names is there."""

from __future__ import annotations

import re

from mlpipelines.plugin.pipeline_view_routes import ASSET_TYPES, PAGES, STATIC


def test_pages_load_only_their_own_assets():
    for page in PAGES.values():
        html = (STATIC / page).read_text()
        loaded = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert loaded, page
        for url in loaded:
            assert url.startswith("static/"), (page, url)
            assert (STATIC / url.removeprefix("static/")).is_file(), (page, url)


def test_no_asset_reaches_another_host():
    for path in STATIC.iterdir():
        text = path.read_text()
        # The SVG namespace is a name, not a download.
        text = text.replace('"http://www.w3.org/2000/svg"', "")
        assert not re.search(r"https?://|//cdn|@import", text), path.name
        assert path.suffix in {*ASSET_TYPES, ".html"}, path.name
