"""Draw the README's screenshot of the patient's page on a phone, from fresh demo data.

    DEBUG=true .venv/bin/python docs/screenshot.py

Makes a throwaway SQLite database with the protocol library and the demo patients, serves it
on a free port, logs in as the demo patient in Debian's Chromium at 390 x 844 and saves
docs/patient-page.png (the top of the page: what a patient sees first).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "patient-page.png"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}",
        "JOBS_URL": f"sqlite:///{folder / 'jobs.sqlite3'}",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "-v0"], ["createcachetable"], ["load_protocols"], ["demo"]):
        subprocess.run([*manage, *command], env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                urllib.request.urlopen(f"{url}/healthz")  # noqa: S310 - our own local server
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"{url}/accounts/login/")
            page.get_by_label("Username").fill("patient")
            page.get_by_label("Password").fill("transplant-demo")
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{url}/me/")
            top = {"x": 0, "y": 0, "width": 390, "height": 1100}
            page.screenshot(path=str(OUT), full_page=True, clip=top)
            browser.close()
    finally:
        server.terminate()
        server.wait()
    print(f"Saved {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
