"""Browser tests: Playwright driving Debian's Chromium against Django's live server.

Locally, without Chromium, they are skipped with a message; in CI (E2E_REQUIRED=1) a missing
browser fails the run instead.
"""

import os
import shutil

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
# thread with a running loop unless told this is fine. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    browser_tests = [item for item in items if "e2e" in item.nodeid.split("/")]
    if not browser_tests or os.path.exists(CHROMIUM):
        return
    message = f"No Chromium at {CHROMIUM}: install Debian's 'chromium' to run browser tests."
    if os.environ.get("E2E_REQUIRED") == "1":
        raise pytest.UsageError(f"{message} Browser tests are required here (E2E_REQUIRED=1).")
    for item in browser_tests:
        item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture
def page(page):
    page.set_default_timeout(10_000)
    return page
