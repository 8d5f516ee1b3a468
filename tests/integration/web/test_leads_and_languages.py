"""The leads page in a real browser, and every page of the web app in English and Spanish.

Leads: a Jalisco analyst's page links and counts only Jalisco's traces (the world's ground truth), ranks as
the API does, and its tables sort by plain links reached with the keyboard. Languages: each page in both
languages (the header's links, and the browser's Accept-Language on the Spanish phone), with the locale's
dates and numbers (pipeline.web.text.number / day), the skip link first, every control labelled, a screenshot,
and no serious or critical axe-core finding at 1280 px and at phone width.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from pipeline.api.trace_search import purchaser_ref
from pipeline.web import app as web_app
from pipeline.web.routes import leads as leads_page
from pipeline.web.text import day, number, w
from tests.integration.api.world import NAME_MARK
from tests.integration.web.conftest import (
    click_and_wait,
    page_origin,
    screenshot,
    serious_accessibility_violations,
    sign_in,
    wait_for_next_page,
)

RECOVERED = date(2024, 7, 1)  # every world trace's recovery date
LONG_TTC = 2000  # TR-FGEJAL-2's time to crime, and D-AZ-1's median for Jalisco: a number >= 1,000


def _days(n: float, lang: str) -> str:
    return w("days_n", lang, n=number(n, lang))


# page -> (path, account signed in (None: signed out), words that must appear (WEB_MESSAGES keys),
#          values in the locale's format that must appear, as (lang) -> strings)
PAGES = {
    "login": ("/app/login", None, ("sign_in", "token_label", "token_help"), lambda lang: ()),
    "search": ("/app/", "jal", ("search_title", "filters", "results", "col_recovered", "map_mexico"),
               lambda lang: (_days(LONG_TTC, lang), day(RECOVERED, lang))),
    "trace": ("/app/traces/TR-FGEJAL-2", "jal", ("custody", "time_to_crime", "stage_timings", "recoveries"),
              lambda lang: (_days(LONG_TTC, lang), day(RECOVERED, lang),
                            day(RECOVERED - timedelta(days=LONG_TTC), lang))),
    "leads": ("/app/leads", "jal", ("leads_title", "leads_dealers", "leads_purchasers", "leads_short_ttc",
                                    "leads_multiple_sales", "leads_source_states", "leads_col_score"),
              lambda lang: (_days(LONG_TTC, lang), day(RECOVERED, lang), day(date(2019, 1, 10), lang))),
    # Built by another change: tested here as soon as their routes exist (skipped, with the reason, until then).
    "submit": ("/app/submit", "jal", ("nav_submit",), lambda lang: ()),
    "duplicates": ("/app/duplicates", "jal", ("nav_duplicates",), lambda lang: ()),
}
ROUTES = {"trace": "/app/traces/{trace_id}"}  # a page whose path is not its route's template
SIGNED_IN_WORDS = ("nav_search", "nav_leads", "sign_out")
ISO_DAY = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b")
UNLABELLED = ("return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
              ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')"
              " && !e.getAttribute('aria-labelledby')).map(e => e.outerHTML);")


def _served_paths() -> set[str]:
    return {route.path for router in web_app.PAGE_ROUTERS for route in router.routes}


def _open(driver, web, page: str) -> None:
    """Open `page` as its account (or signed out), in whatever language the browser asks for."""
    path, who, _, _ = PAGES[page]
    route = ROUTES.get(page, path)
    if route not in _served_paths():
        pytest.skip(f"{route} is not served by this build (pipeline/web/app.py PAGE_ROUTERS): not tested")
    if who is None:
        driver.get(f"{web.url}/app/login")
        driver.delete_all_cookies()
    else:
        sign_in(driver, web, who)
    driver.get(web.url + path)
    assert driver.current_url.split("#")[0].startswith(web.url + path), driver.current_url


def _switch(driver, lang: str) -> None:
    """Choose a language with the header's link."""
    click_and_wait(driver, By.CSS_SELECTOR, f"header .langs a[lang={lang}]")


def _check_language(driver, page: str, lang: str) -> str:
    """The page is in `lang`: its words, the header's, and dates and numbers as the locale writes them."""
    _, who, keys, formatted = PAGES[page]
    other = "en" if lang == "es" else "es"
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    body = driver.find_element(By.TAG_NAME, "body").text
    words = (*keys, "language", *(SIGNED_IN_WORDS if who else ()))
    for key in words:
        assert w(key, lang) in body, (page, lang, key)
    for key in keys:
        if w(key, other) not in w(key, lang):
            assert w(key, other) not in body, (page, lang, key)
    for value in formatted(lang):
        assert value in body, (page, lang, value)
    for value in formatted(other):
        if value not in formatted(lang):
            assert value not in body, (page, lang, value)
    skip = driver.find_element(By.CSS_SELECTOR, "a.skip").get_attribute("textContent")
    assert skip == w("skip_to_content", lang)
    main = driver.find_element(By.TAG_NAME, "main").text
    if page != "submit":  # the submission page may show the ISO dates agencies must send
        assert not ISO_DAY.search(main), (page, lang, ISO_DAY.search(main))
    return driver.find_element(By.TAG_NAME, "h1").text


def _check_keyboard_and_accessibility(driver, page: str, shot: str) -> None:
    """A screenshot is kept; the skip link is the first stop of Tab and moves focus to main; controls are
    labelled; axe finds nothing serious."""
    screenshot(driver, shot)
    driver.execute_script("window.scrollTo(0, 0); if (document.activeElement) document.activeElement.blur();")
    ActionChains(driver).send_keys(Keys.TAB).perform()
    first = driver.switch_to.active_element
    assert "skip" in first.get_attribute("class") and first.get_attribute("href").endswith("#main"), page
    first.send_keys(Keys.ENTER)
    WebDriverWait(driver, 5).until(lambda d: d.switch_to.active_element.get_attribute("id") == "main")
    assert driver.execute_script(UNLABELLED) == [], page
    found = serious_accessibility_violations(driver)
    assert not found, (shot, [(v["id"], v["impact"], [n["html"] for n in v["nodes"]][:3]) for v in found])


@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_english_then_spanish_by_the_header_links_at_1280_px(web, browser, page):
    _open(browser, web, page)
    english = _check_language(browser, page, "en")
    _check_keyboard_and_accessibility(browser, page, f"{page}-en")
    _switch(browser, "es")
    spanish = _check_language(browser, page, "es")
    assert spanish != english
    _check_keyboard_and_accessibility(browser, page, f"{page}-es")
    browser.get(browser.current_url.split("#")[0].replace("lang=es", "").rstrip("?&"))
    _check_language(browser, page, "es")  # the choice is remembered without the parameter
    _switch(browser, "en")
    assert _check_language(browser, page, "en") == english


@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_spanish_by_accept_language_on_a_phone(web, phone, page):
    _open(phone, web, page)
    _check_language(phone, page, "es")
    assert phone.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"), page
    _check_keyboard_and_accessibility(phone, page, f"{page}-es-phone")
    _switch(phone, "en")
    _check_language(phone, page, "en")
    assert phone.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"), page
    _check_keyboard_and_accessibility(phone, page, f"{page}-en-phone")


def test_a_number_of_thousands_and_a_date_in_each_locale():
    assert number(LONG_TTC, "en") == "2,000" and number(1234567, "en") == "1,234,567"
    assert number(LONG_TTC, "es") == "2,000"  # es_MX groups thousands with a comma too (Babel, CLDR)
    assert day(RECOVERED, "en") == "Jul 1, 2024" and day(RECOVERED, "es") == "1 jul 2024"


# ---- the leads page ----

def _rows(driver, table: str) -> list[str]:
    """The first cell of each row of a leads table."""
    return [cell.text.split("\n")[0] for cell in
            driver.find_elements(By.CSS_SELECTOR, f"#{table}-table tbody tr > th[scope=row]")]


def _column(driver, table: str, n: int) -> list[str]:
    return [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, f"#{table}-table tbody tr > :nth-child({n})")]


def _api(web, who: str, path: str, **params) -> dict:
    answer = requests.get(f"{web.url}/v1/leads/{path}", params=params, timeout=30,
                          headers={"Authorization": f"Bearer {web.world.tokens[who]}"})
    answer.raise_for_status()
    return answer.json()


def _tab_to(driver, href_part: str, most: int = 300) -> None:
    """Press Tab from the top of the page until the link whose href holds `href_part` has the focus."""
    driver.execute_script("window.scrollTo(0, 0); if (document.activeElement) document.activeElement.blur();")
    for _ in range(most):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if href_part in (driver.switch_to.active_element.get_attribute("href") or ""):
            return
    raise AssertionError(f"no link to {href_part} within {most} presses of Tab")


def test_a_jalisco_analysts_leads_link_and_count_only_jaliscos_traces(web, browser):
    world = web.world
    jalisco = world.of("FGE-JAL")
    sold = {trace for trace in jalisco if trace in world.purchasers}  # every sold gun of the world has its dealer
    sign_in(browser, web, "jal")
    browser.get(f"{web.url}/app/leads")
    linked = {a.get_attribute("href").rsplit("/", 1)[1]
              for a in browser.find_elements(By.CSS_SELECTOR, "main a[href*='/app/traces/']")}
    assert linked == sold and linked <= jalisco
    source = browser.page_source
    for trace in set(world.traces) - jalisco:
        assert trace not in source, trace
    assert NAME_MARK not in source and not any(p in source for p in set(world.purchasers.values()))

    # Counts: the dealers' traces add up to Jalisco's sold guns; source states plus unknown to all its traces.
    assert sum(int(n) for n in _column(browser, "dealers", 3)) == len(sold)
    state_traces = sum(int(n) for n in _column(browser, "source-states", 2))
    assert state_traces == len(sold)
    assert w("leads_unknown_source", "en", n=number(len(jalisco) - len(sold), "en")) in browser.page_source

    # Purchasers: by pseudonym, those on at least two of Jalisco's traces.
    buyers = Counter(world.purchasers[trace] for trace in sold)
    refs = {purchaser_ref(p, web.settings.api_pepper.reveal().encode()) for p, n in buyers.items() if n >= 2}
    assert set(_rows(browser, "purchasers")) == refs and refs

    # The same ranking as the API gives the same account.
    api_dealers = _api(web, "jal", "dealers")["items"]
    assert _rows(browser, "dealers") == [d["dealer_license"] for d in api_dealers]
    assert _column(browser, "dealers", 2) == [number(d["score"], "en") for d in api_dealers]
    assert _rows(browser, "short-ttc") == [t["trace_id"] for t in _api(web, "jal", "short-ttc")["items"]]
    assert _rows(browser, "multiple-sales") == [m["report_id"] for m in _api(web, "jal", "multiple-sales")["items"]]
    screenshot(browser, "leads-jal-by-score")


def test_sorting_by_another_column_reorders_the_table_with_the_keyboard(web, browser):
    sign_in(browser, web, "jal")
    browser.get(f"{web.url}/app/leads")
    by_score = _rows(browser, "dealers")
    assert browser.find_element(By.CSS_SELECTOR, "#dealers-table th[aria-sort]").text.startswith("Score")
    _tab_to(browser, "dealer_sort=-multiple_sale_reports")
    before = page_origin(browser)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for_next_page(browser, before)
    assert "dealer_sort=-multiple_sale_reports" in browser.current_url
    by_reports = _rows(browser, "dealers")
    api = [d["dealer_license"] for d in _api(web, "jal", "dealers", sort="-multiple_sale_reports")["items"]]
    assert by_reports == api and by_reports != by_score and sorted(by_reports) == sorted(by_score)
    header = browser.find_element(By.CSS_SELECTOR, "#dealers-table th[aria-sort]")
    assert header.get_attribute("aria-sort") == "descending" and "Multiple-sale reports" in header.text
    # The same link again reverses the order; the other tables keep theirs.
    click_and_wait(browser, By.CSS_SELECTOR, "#dealers-table th[aria-sort] a")
    assert "dealer_sort=multiple_sale_reports" in browser.current_url
    assert _rows(browser, "dealers") == [d["dealer_license"] for d in
                                         _api(web, "jal", "dealers", sort="multiple_sale_reports")["items"]]
    click_and_wait(browser, By.CSS_SELECTOR, "#short-ttc-table a[href*='short_sort=-recovery_date']")
    assert "dealer_sort=multiple_sale_reports" in browser.current_url
    assert _rows(browser, "short-ttc") == [t["trace_id"] for t in
                                           _api(web, "jal", "short-ttc", sort="-recovery_date")["items"]]
    screenshot(browser, "leads-jal-sorted")


def test_each_table_has_its_own_pages(web, browser, monkeypatch):
    monkeypatch.setattr(leads_page, "PAGE", 1)  # the server runs in this process: one row per page
    sign_in(browser, web, "national")
    browser.get(f"{web.url}/app/leads")
    every = [d["dealer_license"] for d in _api(web, "national", "dealers")["items"]]
    assert len(every) >= 2
    seen = _rows(browser, "dealers")
    while browser.find_elements(By.CSS_SELECTOR, "#dealers-pager a[rel=next]"):
        click_and_wait(browser, By.CSS_SELECTOR, "#dealers-pager a[rel=next]")
        seen += _rows(browser, "dealers")
    assert seen == every
    assert len(_rows(browser, "short-ttc")) == 1  # the other tables stay on their first page
    assert w("leads_rows_of", "en", first=len(every), last=len(every), total=len(every)) in browser.page_source


def test_an_investigator_sees_purchaser_ids_but_never_a_name(web, browser):
    sign_in(browser, web, "jal_investigator")
    browser.get(f"{web.url}/app/leads")
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Records id" in page and "P-FGEJAL" in page and NAME_MARK not in browser.page_source


def test_a_role_that_reads_no_traces_may_not_see_the_leads(web, browser):
    sign_in(browser, web, "ops")
    browser.get(f"{web.url}/app/leads")
    assert w("forbidden_page", "en") in browser.find_element(By.TAG_NAME, "main").text
