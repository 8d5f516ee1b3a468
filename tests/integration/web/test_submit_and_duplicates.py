"""Submitting seizures and deciding possible duplicates in a real browser.

A seizure typed into the form is published as the account's agency and its status says "received" at once; a
Spanish CSV with bad lines is reported line by line in Spanish; confirming the world's Jalisco pair (TR-JOINT,
TR-JAL-TWIN) shows one trace in the search and on the trace pages, and reopening it shows two again; another
state never sees the pair. Every test puts the links it changed back to PENDING (the world is shared).
"""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager

import psycopg2
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.integration.harness import published_seizures
from tests.integration.web.conftest import click_and_wait, screenshot, serious_accessibility_violations, sign_in

JOINT, TWIN = "TR-JOINT", "TR-JAL-TWIN"
CSV_ES = (
    "agencia,folio,fecha_aseguramiento,estado,delito,marca,modelo,calibre,serie,prioridad,municipio\n"
    ",{good},2024-07-01,Chihuahua,portación,Colt,Super,.38 Super,CS-{good},urgente,Juárez\n"
    ",{bad_date},01/07/2024,Chihuahua,homicidio,Glock,19,9mm,GL-{bad_date},rutina,Juárez\n"
    "FGE-JAL,{other},2024-07-02,Chihuahua,homicidio,Glock,19,9mm,GL-{other},rutina,Juárez\n"
)


def _unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}"


def _main(driver) -> str:
    return driver.find_element(By.TAG_NAME, "main").text


def _published(web) -> dict[str, dict]:
    return published_seizures(web.settings)


def _listed(driver) -> set[str]:
    return {a.text for a in driver.find_elements(By.CSS_SELECTOR, "table tbody td:first-child a")}


def _fits(driver) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")


@contextmanager
def _owner(web):
    conn = psycopg2.connect(web.settings.pg_dsn())
    try:
        with conn, conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def _set_link(web, link: str, status: str) -> None:
    with _owner(web) as cur:
        cur.execute("UPDATE possible_duplicates SET status = %s WHERE link_id = %s", (status, link))


def _link_status(web, link: str) -> str:
    with _owner(web) as cur:
        cur.execute("SELECT status FROM possible_duplicates WHERE link_id = %s", (link,))
        return cur.fetchone()[0]


def _pair(driver, link: str):
    return driver.find_element(By.CSS_SELECTOR, f"article.pair[data-link='{link}']")


def test_a_seizure_submitted_by_form_is_published_as_the_agency_and_received(web, browser):
    event = _unique("WEB")
    sign_in(browser, web, "jal")
    browser.get(f"{web.url}/app/submit")
    assert "Submit seizures" in _main(browser) and "FGE-JAL" in _main(browser)
    screenshot(browser, "submit-en")
    assert not serious_accessibility_violations(browser)
    browser.find_element(By.ID, "s-event-id").send_keys(event)
    browser.execute_script("document.getElementById('s-recovery-date').value = '2024-07-01'")
    Select(browser.find_element(By.ID, "s-state")).select_by_visible_text("Jalisco")
    browser.find_element(By.ID, "s-municipality").send_keys("Zapopan")
    browser.find_element(By.ID, "s-crime-type").send_keys("homicidio")
    Select(browser.find_element(By.ID, "s-priority")).select_by_value("URGENT")
    for field, value in (("manufacturer", "Glock"), ("model", "19"), ("caliber", "9mm"), ("serial", f"S{event}"),
                         ("firearm-type", "pistola"), ("country", "Austria")):
        browser.find_element(By.ID, f"s-firearm-{field}").send_keys(value)
    click_and_wait(browser, By.CSS_SELECTOR, "#seizure-form button[type=submit]")
    assert browser.find_element(By.ID, "report-counts").text == "1 received, 1 published, 0 rejected."
    assert "received" in browser.find_element(By.ID, "seizure-status").text
    screenshot(browser, "submit-en-received")
    assert not serious_accessibility_violations(browser)
    published = _published(web)[f"FGE-JAL:{event}"]
    assert published["agency_id"] == "FGE-JAL" and published["priority"] == "URGENT"
    assert published["firearm"]["serial"] == f"S{event}" and published["recovery_date"].isoformat() == "2024-07-01"
    # the lookup form answers the same, and a seizure the agency never sent is said to be unknown
    browser.get(f"{web.url}/app/submit")
    browser.find_element(By.ID, "status-event").send_keys(event)
    click_and_wait(browser, By.CSS_SELECTOR, "#status button[type=submit]")
    assert f"event_id={event}" in browser.current_url
    assert "received" in browser.find_element(By.ID, "seizure-status").text
    browser.get(f"{web.url}/app/submit?event_id=NEVER-SENT")
    assert "no seizure" in browser.find_element(By.ID, "seizure-status").text
    sign_in(browser, web, "son")  # another agency's seizure is not Sonora's to look up
    browser.get(f"{web.url}/app/submit?event_id={event}")
    assert "no seizure" in browser.find_element(By.ID, "seizure-status").text


def test_a_spanish_csv_with_bad_lines_is_reported_line_by_line_in_spanish(web, phone, tmp_path):
    good, bad_date, other = _unique("CSV"), _unique("CSV"), _unique("CSV")
    path = tmp_path / "aseguramientos.csv"
    path.write_text(CSV_ES.format(good=good, bad_date=bad_date, other=other), encoding="utf-8")
    sign_in(phone, web, "chh")
    phone.get(f"{web.url}/app/submit")
    assert "Enviar aseguramientos" in _main(phone)
    assert _fits(phone)
    screenshot(phone, "submit-es")
    assert not serious_accessibility_violations(phone)
    phone.find_element(By.ID, "s-file").send_keys(str(path))
    click_and_wait(phone, By.CSS_SELECTOR, "#file-form button[type=submit]")
    assert phone.find_element(By.ID, "report-counts").text == "3 recibidos, 1 publicados, 2 rechazados."
    rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in phone.find_elements(By.CSS_SELECTOR, "#errors-table tbody tr")]
    assert rows[0] == ["3", "Fecha de aseguramiento", "no es una fecha (se espera AAAA-MM-DD)"]
    assert rows[1][:2] == ["4", "Agencia"] and "no es su agencia (FGE-CHH)" in rows[1][2]
    assert len(rows) == 2
    assert _fits(phone)
    screenshot(phone, "submit-es-report")
    assert not serious_accessibility_violations(phone)
    published = _published(web)
    assert published[f"FGE-CHH:{good}"]["agency_id"] == "FGE-CHH"
    assert not any(key.endswith(f":{bad_date}") or key.endswith(f":{other}") for key in published)
    phone.get(f"{web.url}/app/submit?event_id={good}")
    assert "recibido" in phone.find_element(By.ID, "seizure-status").text


def test_a_confirmed_duplicate_is_one_trace_and_reopening_shows_two_again(web, browser):
    try:
        sign_in(browser, web, "jal")
        browser.get(f"{web.url}/app/duplicates")
        pair = _pair(browser, "L-JAL-JAL")
        cells = [c.text for c in pair.find_elements(By.CSS_SELECTOR, "td.serial")]
        assert cells == ["ZX9000", "ZX9010"]
        assert [m.text for m in pair.find_elements(By.CSS_SELECTOR, "td.serial mark")] == ["0", "1"]
        assert {a.text for a in pair.find_elements(By.CSS_SELECTOR, "td a")} == {JOINT, TWIN}
        assert "GLOCK" in pair.text and "Jalisco" in pair.text and "Jul 1, 2024" in pair.text
        screenshot(browser, "duplicates-en")
        assert not serious_accessibility_violations(browser)

        click_and_wait(browser, By.CSS_SELECTOR, "article.pair[data-link='L-JAL-JAL'] button[value=CONFIRMED]")
        assert f"L-JAL-JAL confirmed: {TWIN} is now shown as {JOINT}." in browser.find_element(By.ID, "decided").text
        assert _link_status(web, "L-JAL-JAL") == "CONFIRMED"
        browser.get(f"{web.url}/app/")
        assert _listed(browser) == web.world.of("FGE-JAL") - {TWIN}
        browser.get(f"{web.url}/app/?serial=ZX9010")  # the twin's serial finds the merged gun
        assert _listed(browser) == {JOINT}
        click_and_wait(browser, By.LINK_TEXT, JOINT)
        page = _main(browser)
        assert TWIN in browser.find_element(By.ID, "merged-from").text
        assert f"recorded on {TWIN}" in page and page.count("FGE-JAL") >= 2
        assert "1 more recovered by agencies you cannot see" in page  # FGR's, as before the merge
        screenshot(browser, "trace-merged-en")
        browser.get(f"{web.url}/app/traces/{TWIN}")
        assert f"{TWIN} was confirmed as a duplicate and merged into this trace, {JOINT}" in _main(browser)

        browser.get(f"{web.url}/app/duplicates?status=CONFIRMED")
        click_and_wait(browser, By.CSS_SELECTOR, "article.pair[data-link='L-JAL-JAL'] button[value=PENDING]")
        assert "reopened" in browser.find_element(By.ID, "decided").text
        assert _link_status(web, "L-JAL-JAL") == "PENDING"
        browser.get(f"{web.url}/app/")
        assert _listed(browser) == web.world.of("FGE-JAL")
        browser.get(f"{web.url}/app/traces/{TWIN}")
        assert "merged" not in _main(browser)
        with _owner(web) as cur:
            cur.execute("SELECT detail->>'decision' FROM audit_log WHERE action = 'duplicate.decided' "
                        "AND subject = 'L-JAL-JAL' AND account = %s ORDER BY id", (web.world.accounts["jal"],))
            assert [row[0] for row in cur.fetchall()][-2:] == ["CONFIRMED", "PENDING"]
    finally:
        _set_link(web, "L-JAL-JAL", "PENDING")


def test_an_analyst_of_another_state_never_sees_the_jalisco_pair(web, browser):
    try:
        _set_link(web, "L-JAL-JAL", "CONFIRMED")
        sign_in(browser, web, "son")
        for status in ("PENDING", "CONFIRMED", "REJECTED"):
            browser.get(f"{web.url}/app/duplicates?status={status}")
            assert "L-JAL-JAL" not in browser.page_source and JOINT not in browser.page_source
            assert TWIN not in browser.page_source
        assert "No possible duplicates here." in _main(browser)
        browser.get(f"{web.url}/app/")
        assert _listed(browser) == web.world.of("FGE-SON")
        # a decision sent with Sonora's own valid session and token is refused like a link that does not exist
        csrf = browser.find_element(By.CSS_SELECTOR, "header form input[name=csrf]").get_attribute("value")
        cookie = browser.get_cookie("tp_session")["value"]
        answer = requests.post(f"{web.url}/app/duplicates/L-JAL-JAL", data={"decision": "REJECTED", "csrf": csrf},
                               cookies={"tp_session": cookie}, allow_redirects=False, timeout=30)
        assert answer.status_code == 404 and _link_status(web, "L-JAL-JAL") == "CONFIRMED"
    finally:
        _set_link(web, "L-JAL-JAL", "PENDING")


def test_forms_without_the_sessions_csrf_token_change_nothing(web, browser):
    sign_in(browser, web, "jal")
    cookie = {"tp_session": browser.get_cookie("tp_session")["value"]}
    decided = requests.post(f"{web.url}/app/duplicates/L-JAL-JAL", data={"decision": "CONFIRMED", "csrf": "forged"},
                            cookies=cookie, allow_redirects=False, timeout=30)
    assert decided.status_code == 403 and _link_status(web, "L-JAL-JAL") == "PENDING"
    event = _unique("FORGED")
    sent = requests.post(f"{web.url}/app/submit", cookies=cookie, allow_redirects=False, timeout=30,
                         data={"event_id": event, "recovery_date": "2024-07-01", "state": "Jalisco",
                               "crime_type": "homicidio"})
    uploaded = requests.post(f"{web.url}/app/submit/file", cookies=cookie, allow_redirects=False, timeout=30,
                             files={"file": ("a.csv", f"folio,fecha_aseguramiento,estado,delito\n{event},2024-07-01,"
                                                      "Jalisco,homicidio\n")})
    assert sent.status_code == 403 and uploaded.status_code == 403
    assert not any(key.endswith(f":{event}") for key in _published(web))


def test_the_duplicate_queue_in_spanish_on_a_phone(web, phone):
    sign_in(phone, web, "jal")
    phone.get(f"{web.url}/app/duplicates")
    text = _main(phone)
    assert "Posibles duplicados" in text and "Por revisar" in text and "Confirmar: una sola arma" in text
    assert "1 jul 2024" in text and not re.search(r"\b20\d\d-\d\d-\d\d\b", text)
    assert _fits(phone)
    screenshot(phone, "duplicates-es")
    assert not serious_accessibility_violations(phone)
