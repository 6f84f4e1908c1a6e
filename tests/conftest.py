"""Shared fixtures: the bundled atlas, a live app server and a headless Chromium driving it."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from geodata import Atlas, load_atlas

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def scratch_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep Chromium's, Jupyter's and the app's caches out of the user's home and /tmp."""
    home = tmp_path_factory.mktemp("home")
    keys = ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "JUPYTER_RUNTIME_DIR", "ATLAS_CACHE_DIR", "ATLAS_UPLOAD_DIR")
    saved = {key: os.environ.get(key) for key in keys}
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(home / "jupyter")
    os.environ["ATLAS_CACHE_DIR"] = str(home / "atlas-cache")  # the app's export cache and uploads stay in tmp
    os.environ["ATLAS_UPLOAD_DIR"] = str(home / "atlas-uploads")
    yield home
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def atlas() -> Atlas:
    """The bundled atlas at browser resolution."""
    return load_atlas()


@pytest.fixture(scope="session")
def live_url() -> Iterator[str]:
    """The dashboard served from a background thread on a free local port."""
    from werkzeug.serving import make_server

    from dashboard import create_app

    server = make_server("127.0.0.1", 0, create_app().server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser(scratch_home: Path) -> Iterator[object]:
    """Debian's headless Chromium through its chromedriver; every outside host fails at once."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail("browser tests need Debian's chromium and chromium-driver (make test installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1600,1000",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={scratch_home / 'chromium'}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs", {"default_search_provider_data.template_url_data.new_tab_url": "about:blank"}
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
