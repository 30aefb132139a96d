"""The rendered book as a reader sees it: every page opened in headless Chromium.

Checks each page loads without JavaScript errors, math is typeset, every image loads, the sidebar
lists every chapter, code cells show their outputs and chapter pages have launch buttons. Saves a
screenshot of each page's top in _build/screenshots/, plus its first displayed formula and its
first figure where it has them. `make test` installs Chromium first
(tools/install_chromium.sh); the test skips only when that was impossible.
"""
import functools
import http.server
import json
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Chromium could not be installed (tools/install_chromium.sh needs root and apt-get); "
           "install Debian's chromium and chromium-driver to run the browser test")
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = [ROOT / (c["file"] + ".ipynb") for part in TOC["parts"] for c in part["chapters"]
            if c["file"].startswith("chapters/")]
PAGES = ["intro.html"] + [f"chapters/{p.stem}.html" for p in CHAPTERS] + ["exercises.html", "api.html"]
SHOTS = ROOT / "_build" / "screenshots"


@pytest.fixture(scope="module")
def server(built_book):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1000", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def wait_for(driver, script: str, timeout: float = 20.0):
    """Poll a JavaScript expression until it is truthy; return its last value."""
    end = time.time() + timeout
    value = driver.execute_script(f"return {script};")
    while not value and time.time() < end:
        time.sleep(0.2)
        value = driver.execute_script(f"return {script};")
    return value


def stored_outputs(stem: str) -> int:
    """Code cells of a chapter that show output in the book (not removed by a tag)."""
    nb = json.loads((ROOT / "chapters" / f"{stem}.ipynb").read_text())
    hidden = {"remove-cell", "remove-output", "remove-stderr"}
    return sum(1 for c in nb["cells"] if c["cell_type"] == "code" and c["outputs"]
               and not hidden & set(c.get("metadata", {}).get("tags", [])))


@pytest.mark.parametrize("page", PAGES)
def test_page_as_a_reader_sees_it(browser, server, page):
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(server + page)
    assert wait_for(browser, "document.readyState === 'complete'")

    # Math: every formula typeset by MathJax, no raw TeX delimiters left in the visible text.
    formulas = browser.execute_script("return document.querySelectorAll('.math, span.math, div.math').length")
    if formulas:
        assert wait_for(browser, f"document.querySelectorAll('mjx-container').length >= {formulas}"), \
            f"{page}: MathJax did not typeset its {formulas} formulas"
    text = browser.execute_script("return document.querySelector('main').innerText")
    assert "$$" not in text and not re.search(r"\\\\(frac|sum|mathbf)\b", text), f"{page}: raw TeX left"

    # Images: make lazy ones load, then every one must have decoded.
    browser.execute_script("document.querySelectorAll('img').forEach(i => i.loading = 'eager'); "
                           "window.scrollTo(0, document.body.scrollHeight);")
    assert wait_for(browser, "Array.from(document.images).every(i => i.complete)"), f"{page}: images still loading"
    broken = browser.execute_script(
        "return Array.from(document.images).filter(i => i.naturalWidth === 0).map(i => i.src)")
    assert broken == [], f"{page}: images failed to load: {broken}"

    # The sidebar lists every chapter.
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('nav.bd-docs-nav a')).map(a => a.getAttribute('href'))")
    for chapter in CHAPTERS:
        if page == f"chapters/{chapter.stem}.html":
            continue  # a page's own entry links to "#"
        assert any(chapter.stem in (href or "") for href in links), f"{page}: sidebar lacks {chapter.stem}"

    if page.startswith("chapters/"):
        stem = Path(page).stem
        outputs = browser.execute_script("return document.querySelectorAll('div.cell_output').length")
        assert outputs == stored_outputs(stem), f"{page}: {outputs} outputs shown, notebook has {stored_outputs(stem)}"
        assert browser.execute_script(
            "return document.querySelectorAll('a[href*=\"colab.research.google.com\"]').length") > 0, \
            f"{page}: no Colab launch button"

    browser.execute_script("window.scrollTo(0, 0);")
    browser.save_screenshot(str(SHOTS / (Path(page).stem + ".png")))
    for kind, selector in [("math", "mjx-container[display='true']"), ("figure", ".cell_output img")]:
        if browser.execute_script(f"const e = document.querySelector(\"{selector}\"); "
                                  "if (e) { e.scrollIntoView({block: 'center'}); } return !!e;"):
            browser.save_screenshot(str(SHOTS / f"{Path(page).stem}-{kind}.png"))

    # JavaScript errors (network failures to outside hosts are expected offline and reported apart).
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    own = [m for m in errors if ("127.0.0.1" in m and "favicon.ico" not in m) or "Uncaught" in m]
    assert not own, f"{page}: JavaScript errors: {own}"
