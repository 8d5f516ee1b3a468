"""Analysts in a real browser: sign in, search, open a trace, export; another state sees none of it."""

from __future__ import annotations

import urllib.request

from selenium.webdriver.common.by import By

from tests.integration.api.world import NAME_MARK
from tests.integration.web.conftest import click_and_wait, screenshot, serious_accessibility_violations, sign_in


def _listed_traces(browser) -> set[str]:
    return {a.text for a in browser.find_elements(By.CSS_SELECTOR, "table tbody td:first-child a")}


def test_an_analyst_signs_in_searches_opens_a_trace_and_exports(web, browser):
    sign_in(browser, web, "jal")
    assert browser.current_url.endswith("/app/")
    assert _listed_traces(browser) == web.world.of("FGE-JAL")
    screenshot(browser, "search-en")
    assert not serious_accessibility_violations(browser)
    browser.find_element(By.ID, "f-serial").send_keys("ZX9000")
    click_and_wait(browser, By.CSS_SELECTOR, "form.filters button[type=submit]")
    assert _listed_traces(browser) == {"TR-JOINT"}
    click_and_wait(browser, By.LINK_TEXT, "TR-JOINT")
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Chain of custody" in page and "Border Guns" in page and "under 3 years" in page
    assert NAME_MARK not in browser.page_source and "P-FGEJAL" not in browser.page_source
    screenshot(browser, "trace-en")
    assert not serious_accessibility_violations(browser)
    browser.get(f"{web.url}/app/?serial=ZX9000")
    href = browser.find_element(By.PARTIAL_LINK_TEXT, "Export").get_attribute("href")
    cookie = browser.get_cookie("tp_session")["value"]
    request = urllib.request.Request(href, headers={"Cookie": f"tp_session={cookie}"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - our own test server
        body = answer.read().decode()
    assert "TR-JOINT" in body and len(body.strip().splitlines()) == 2


def test_an_analyst_of_another_state_sees_none_of_the_first_states_traces(web, browser):
    sign_in(browser, web, "son")
    listed = _listed_traces(browser)
    assert listed == web.world.of("FGE-SON") and not listed & web.world.of("FGE-JAL")
    browser.get(f"{web.url}/app/traces/TR-FGEJAL-1")
    assert "Not found" in browser.find_element(By.TAG_NAME, "main").text


def test_an_investigator_sees_the_purchaser_and_the_read_is_audited(web, browser):
    sign_in(browser, web, "jal_investigator")
    browser.get(f"{web.url}/app/traces/TR-FGEJAL-1")
    assert NAME_MARK not in browser.page_source
    browser.find_element(By.ID, "reason").send_keys("case CI-JAL-2024-88")
    click_and_wait(browser, By.CSS_SELECTOR, "#main form button[type=submit]")
    assert NAME_MARK in browser.find_element(By.TAG_NAME, "main").text
    screenshot(browser, "trace-investigator")
    import psycopg2

    with psycopg2.connect(web.settings.pg_dsn()) as conn, conn.cursor() as cur:
        cur.execute("SELECT reason FROM audit_log WHERE account = %s AND action = 'records.purchaser.read'",
                    (web.world.accounts["jal_investigator"],))
        assert ("case CI-JAL-2024-88",) in cur.fetchall()
    conn.close()


def test_pages_in_spanish_on_a_phone(web, phone):
    sign_in(phone, web, "chh")
    text = phone.find_element(By.TAG_NAME, "main").text
    assert "Buscar rastreos" in text and "Aseguramientos por estado de México" in text
    assert phone.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(phone, "search-es-phone")
    assert not serious_accessibility_violations(phone)


def test_a_state_on_the_map_filters_the_search(web, browser):
    sign_in(browser, web, "national")
    click_and_wait(browser, By.CSS_SELECTOR, "a[aria-label^='Jalisco']")
    assert "state=14" in browser.current_url
    recovered_in_jalisco = web.world.of("FGE-JAL") | web.world.of("SSP-GDL")
    assert _listed_traces(browser) == recovered_in_jalisco


def test_signing_out_ends_the_session(web, browser):
    sign_in(browser, web, "jal")
    click_and_wait(browser, By.CSS_SELECTOR, "header form button")
    assert "/app/login" in browser.current_url
    browser.get(f"{web.url}/app/")
    assert "/app/login" in browser.current_url
