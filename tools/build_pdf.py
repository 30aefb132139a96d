"""Build the whole book as one PDF: `make pdf` (about a minute), offline.

Jupyter Book's own PDF route (pyppeteer) downloads a browser; this uses what the project already
has: the single-page HTML build (`jupyter-book build . --builder singlehtml`) printed by the
Debian Chromium that tools/install_chromium.sh installs, driven through Selenium. Before printing
it waits until MathJax has typeset every formula, opens every folded solution, starts each chapter
on a new page, and shrinks the few display equations wider than the page. The print styles
(code wrapped, not clipped; no Colab set-up cell; no page chrome) are in _static/book.css.

    python tools/build_pdf.py               # build singlehtml, print _build/pdf/book.pdf
    python tools/build_pdf.py --no-build    # print an existing _build/singlehtml

The PDF is also copied beside _build/html/index.html as book.pdf, where the HTML's download menu
links it.
"""
from __future__ import annotations

import argparse
import base64
import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE_WIDTH_PX = 700  # A4 (210 mm) less 2 x 14 mm margins, in CSS pixels (96 per inch)

PREPARE = r"""
// Everything a reader of paper needs open, chapters on new pages.
document.querySelectorAll('details').forEach(d => d.open = true);
document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
document.querySelectorAll('.dropdown').forEach(e => e.classList.remove('toggle-hidden'));
const docs = Array.from(document.querySelectorAll('section.tex2jax_ignore, section.mathjax_ignore'));
docs.slice(1).forEach(s => s.classList.add('book-chapter'));
// The intro's "Contents" heading holds the chapters themselves here: give it a real list.
const contents = document.querySelector('section#contents > h2');
if (contents && !document.querySelector('ol.book-contents')) {
  const list = document.createElement('ol');
  list.className = 'book-contents';
  for (const s of docs.slice(1)) {
    const h = s.querySelector('h1, h2, h3');
    if (!h) continue;
    const a = document.createElement('a');
    a.href = '#' + s.id;
    a.textContent = h.textContent.replace(/#$/, '').trim();
    const li = document.createElement('li');
    li.appendChild(a);
    list.appendChild(li);
  }
  contents.after(list);
}
document.querySelectorAll('img').forEach(i => i.loading = 'eager');
"""

FIT_EQUATIONS = r"""
// Shrink display equations wider than the printed column (measured in the print layout).
let shrunk = 0;
for (const c of document.querySelectorAll('mjx-container[display="true"]')) {
  const math = c.querySelector('mjx-math');
  const room = c.getBoundingClientRect().width, width = math ? math.getBoundingClientRect().width : 0;
  if (room > 0 && width > room) { c.style.fontSize = (100 * room / width * 0.98).toFixed(1) + '%'; shrunk++; }
}
return shrunk;
"""


def build_singlehtml() -> Path:
    jb = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run([str(jb), "build", str(ROOT), "--builder", "singlehtml", "-n", "--keep-going"],
                          capture_output=True, text=True)
    out = ROOT / "_build" / "singlehtml"
    if not (out / "intro.html").exists():
        sys.exit(f"singlehtml build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return out


def wait_for(driver, script: str, timeout: float = 120.0):
    end = time.time() + timeout
    while time.time() < end:
        value = driver.execute_script(f"return {script};")
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError(script)


def print_pdf(site: Path, out: Path) -> int:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        sys.exit("Chromium and ChromeDriver are needed: run tools/install_chromium.sh (Debian: "
                 "apt-get install chromium chromium-driver)")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--window-size={PAGE_WIDTH_PX},1000"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(300)
    driver.set_script_timeout(300)
    try:
        driver.get(f"http://127.0.0.1:{httpd.server_address[1]}/intro.html")
        wait_for(driver, "document.readyState === 'complete'")
        formulas = driver.execute_script("return document.querySelectorAll('.math').length")
        wait_for(driver, f"document.querySelectorAll('mjx-container').length >= {formulas}", 300)
        wait_for(driver, "window.MathJax && MathJax.startup.promise.then(() => window.__done = true) "
                         "&& window.__done")
        driver.execute_script(PREPARE)
        wait_for(driver, "Array.from(document.images).every(i => i.complete)")
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        shrunk = driver.execute_script(FIT_EQUATIONS)
        title = driver.execute_script("return document.querySelector('h1').textContent.trim()")
        footer = ('<div style="font-size:8px; width:100%; text-align:center; color:#555;">'
                  f'{title} &middot; <span class="pageNumber"></span> / <span class="totalPages"></span></div>')
        result = driver.execute_cdp_cmd("Page.printToPDF", {
            "paperWidth": 8.27, "paperHeight": 11.69, "marginTop": 0.55, "marginBottom": 0.6,
            "marginLeft": 0.55, "marginRight": 0.55, "printBackground": True,
            "displayHeaderFooter": True, "headerTemplate": "<span></span>", "footerTemplate": footer})
    finally:
        driver.quit()
        httpd.shutdown()
    data = base64.b64decode(result["data"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    print(f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}: {pages} pages, "
          f"{len(data) / 1e6:.1f} MB, {formulas} formulas typeset, {shrunk} wide equations scaled to fit")
    return pages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="print the existing _build/singlehtml")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf" / "book.pdf")
    args = parser.parse_args(argv)
    site = ROOT / "_build" / "singlehtml" if args.no_build else build_singlehtml()
    print_pdf(site, args.out)
    html = ROOT / "_build" / "html"
    if html.is_dir():
        shutil.copyfile(args.out, html / "book.pdf")
        print(f"copied to {html.relative_to(ROOT)}/book.pdf (the HTML's download menu links it)")


if __name__ == "__main__":
    main()
