"""Fixtures of the web app tests: the service (API + pages) over a private world, and a real headless Chromium.

The browser is Debian's Chromium driven through Debian's chromedriver (Selenium); screenshots of every page
are kept in reports/test-artefacts/ for a person to look at.
"""

from __future__ import annotations

import json
import shutil
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from pipeline.paths import PROJECT_ROOT
from pipeline.service import create_service
from pipeline.stack.serving import ServerThread
from pipeline.stack.topics import ensure_topics
from tests.integration.api.conftest import populate_world, world_database
from tests.integration.api.world import World

ARTEFACTS = PROJECT_ROOT / "reports" / "test-artefacts"
AXE = PROJECT_ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"


@dataclass
class Web:
    """The running service and the world behind it."""

    url: str
    settings: object
    world: World


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def web(stack, settings) -> Iterator[Web]:
    """The service on a database and topic namespace of its own (pages change things: decisions, submissions)."""
    private = world_database(settings, "t_web").with_changes(namespace=f"t-web-{uuid.uuid4().hex[:8]}.")
    ensure_topics(private)
    world = populate_world(private)
    port = _free_port()
    with ServerThread(create_service(private), "127.0.0.1", port, "web app"):
        yield Web(f"http://127.0.0.1:{port}", private, world)


def _driver(width: int, height: int, lang: str) -> webdriver.Chrome:
    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", f"--lang={lang}"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                              options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="session")
def browser() -> Iterator[webdriver.Chrome]:
    """A 1280-px laptop-sized headless Chromium whose language is English."""
    driver = _driver(1280, 1000, "en")
    yield driver
    driver.quit()


@pytest.fixture
def phone() -> Iterator[webdriver.Chrome]:
    """A phone-width (390 px) headless Chromium whose language is Spanish."""
    driver = _driver(390, 844, "es-MX")
    yield driver
    driver.quit()


def page_origin(driver: webdriver.Chrome) -> float:
    """The current document's time origin: a new page has a new one."""
    origin: float = driver.execute_script("return performance.timeOrigin")
    return origin


def wait_for_next_page(driver: webdriver.Chrome, before: float) -> None:
    """Wait until a document other than the one of `before` has loaded (chromedriver may answer any error
    while it loads)."""

    def loaded(d: webdriver.Chrome) -> bool:
        return bool(d.execute_script("return document.readyState === 'complete' && performance.timeOrigin !== "
                                     "arguments[0]", before))

    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(loaded)


def click_and_wait(driver: webdriver.Chrome, by: str, selector: str) -> None:
    """Click an element that loads another page, and wait until that page has replaced this one."""
    before = page_origin(driver)
    driver.find_element(by, selector).click()
    wait_for_next_page(driver, before)


def sign_in(driver: webdriver.Chrome, web: Web, who: str) -> None:
    """Sign in through the form as the world's account `who` (any earlier session is signed out first)."""
    driver.delete_all_cookies()
    driver.get(f"{web.url}/app/login")
    driver.find_element(By.ID, "token").send_keys(web.world.tokens[who])
    click_and_wait(driver, By.CSS_SELECTOR, "form button[type=submit]")


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """Keep a full-height screenshot of the current page as a test artefact."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, min(max(height + 120, 600), 8000))
    path = ARTEFACTS / f"web-{name}.png"
    driver.save_screenshot(str(path))
    return path


def serious_accessibility_violations(driver: webdriver.Chrome) -> list[dict]:
    """axe-core's serious and critical findings on the current page (WCAG 2 A/AA rules)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})"
        ".then(r => done(JSON.stringify(r.violations)))"
        ".catch(e => done(JSON.stringify([{id: 'axe-error', impact: 'critical', description: String(e)}])));")
    return [v for v in json.loads(result) if v.get("impact") in ("serious", "critical")]
