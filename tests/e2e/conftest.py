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
from axe_playwright_python.base import AXE_SCRIPT  # noqa: E402

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


# Accessibility (issue 17): axe-core, bundled by axe-playwright-python, at WCAG 2.2 AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}


def axe_report(label: str, violations: list[dict]) -> str:
    """The violations, one rule a paragraph: id, impact, help URL, then each element's target."""
    lines = [f"{label}: {len(violations)} accessibility rule(s) broken (WCAG 2.2 AA)"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    {target}")
            if node.get("failureSummary"):
                summary = " ".join(node["failureSummary"].split())
                lines.append(f"      {summary}")
    return "\n".join(lines)


# axe-core no longer checks that ids are unique (WCAG 2.2 dropped 4.1.1), but a label, an
# aria-describedby or a swap target that finds the wrong element of two is still a failure of
# 1.3.1 and 4.1.2, and htmx swaps are where a second copy appears: checked here too.
DUPLICATE_IDS = """() => {
  const seen = new Map();
  for (const element of document.querySelectorAll("[id]")) {
    seen.set(element.id, (seen.get(element.id) || 0) + 1);
  }
  return [...seen].filter(([, count]) => count > 1).map(([id, count]) => `#${id} (${count}×)`);
}"""


def assert_accessible(page, label: str, *, within: str | None = None) -> None:
    """Run axe on the page as it is now (after any htmx swap) and fail with a readable report
    naming `label`; ids must be unique in the whole page too.

    Only the WCAG 2.x A and AA rules run (best-practice rules are off): the bar is WCAG 2.2 AA.
    `within` (a CSS selector) checks only the part an htmx swap changed, on a page whose
    whole was checked before: axe's contrast check is slow on a long course page.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)  # once per document: htmx swaps keep it
    violations = page.evaluate(
        "([within, options]) => axe.run(within ? {include: [within]} : document, options)"
        "  .then((results) => results.violations)",
        [within, AXE_OPTIONS],
    )
    if within:
        label = f"{label}, within {within}"
    duplicates = page.evaluate(DUPLICATE_IDS)
    if duplicates:
        violations.append(
            {
                "id": "duplicate-id",
                "impact": "serious",
                "help": "ids must be unique (labels, descriptions and swaps find the first)",
                "helpUrl": "https://www.w3.org/WAI/WCAG22/Understanding/info-and-relationships",
                "nodes": [{"target": [duplicate]} for duplicate in duplicates],
            }
        )
    assert not violations, axe_report(f"{label} ({page.url})", violations)
