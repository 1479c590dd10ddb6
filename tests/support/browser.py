"""A headless Chromium for the browser tests: Debian's ``chromium`` (installed with apt-get
when missing and we are root, by ``scripts/local_services.py`` as Postgres and Redis are),
driven by Playwright with that binary, so Playwright downloads no browser of its own. The
fixtures skip, saying why, only where apt cannot install it (not root, no apt-get)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_services import apt_install

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1400, "height": 900}


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The chromium binary, installed first when it is missing."""
    if not CHROMIUM.exists() and (os.geteuid() != 0 or shutil.which("apt-get") is None):
        pytest.skip(
            f"{CHROMIUM} is missing and cannot be installed here (needs root and apt-get): "
            "run `apt-get install chromium` to run the browser tests"
        )
    return apt_install("chromium", CHROMIUM)


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    """One headless Chromium per test module (``--no-sandbox``: tests run as root).

    Not per session: Playwright's sync API holds an asyncio loop running in the main thread
    while it is open, and every later test calling ``asyncio.run()`` would fail."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            yield launched
        finally:
            launched.close()
