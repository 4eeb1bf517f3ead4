"""Browser fixtures: Playwright's sync API driving the system Chromium (Debian's package).

Playwright's own browser download is not used. When Chromium is missing the browser tests are
skipped with the reason, unless ``WFP_REQUIRE_BROWSER=1`` (set by CI), which makes them fail.
``WFP_CHROMIUM`` points at another Chromium binary; screenshots go to ``test-results/`` (gitignored)
or to ``WFP_SCREENSHOTS_DIR``.

Use the ``browser_page`` fixture with pytest-django's ``live_server``::

    @pytest.mark.browser
    @pytest.mark.django_db(transaction=True, serialized_rollback=True)
    def test_something(browser_page, live_server, portal_page):
        browser_page.goto(live_server.url + portal_page.url)
"""

import os
from pathlib import Path

import pytest

CHROMIUM_PATH = os.environ.get("WFP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS_DIR = Path(
    os.environ.get("WFP_SCREENSHOTS_DIR", Path(__file__).resolve().parent.parent / "test-results")
)
PHONE_VIEWPORT = {"width": 390, "height": 844}
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}


def _missing_browser(reason: str):
    if os.environ.get("WFP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"WFP_REQUIRE_BROWSER=1 but the browser tests cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium(django_db_setup, django_db_blocker):
    """One headless Chromium for the whole test session.

    Depends on ``django_db_setup`` so that the test database exists before Playwright starts:
    see ``_keep_serialized_contents``.
    """
    if not os.path.exists(CHROMIUM_PATH):
        _missing_browser(f"Chromium not found at {CHROMIUM_PATH} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_browser("the playwright Python package is not installed")

    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run while
    # one is running unless told it is safe (the test server runs in its own thread anyway).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    serialized = _serialized_contents()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True
        )
        _keep_serialized_contents(serialized)
        yield browser
        browser.close()


def _serialized_contents() -> dict:
    """The database snapshots Django took for ``serialized_rollback``, by database alias."""
    from django.db import connections

    return {
        conn.alias: conn._test_serialized_contents
        for conn in connections.all(initialized_only=True)
        if hasattr(conn, "_test_serialized_contents")
    }


def _keep_serialized_contents(serialized: dict) -> None:
    """Hand the ``serialized_rollback`` snapshots to the connections seen while Playwright runs.

    Once Playwright's sync API is started, Django's per-context connection handler gives this
    thread new connection objects (same database), which lack the snapshot: without it,
    ``serialized_rollback`` would silently not restore Wagtail's initial pages and site after a
    browser test, and the tests after it would fail.
    """
    from django.db import connections

    for alias, contents in serialized.items():
        if not hasattr(connections[alias], "_test_serialized_contents"):
            connections[alias]._test_serialized_contents = contents


@pytest.fixture
def browser_page(chromium):
    """A fresh browser tab (own cookies), phone-sized, in French (or ``WFP_BROWSER_LOCALE``)."""
    locale = os.environ.get("WFP_BROWSER_LOCALE", "fr-FR")
    context = chromium.new_context(viewport=PHONE_VIEWPORT, locale=locale)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot as test-results/<name>.png and return its path."""
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
