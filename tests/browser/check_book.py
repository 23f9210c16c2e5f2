"""Open every page of the built book in a real, offline browser and check what a reader would see.

Run after a build (``make book`` or ``make book-html``)::

    python tests/browser/check_book.py [_build/html] [--screenshots _build/screenshots]

The pages are served from a local HTTP server on 127.0.0.1; Debian's Chromium (headless, driven by
selenium through the system ``chromedriver``) resolves no other host, so anything the book would
fetch from the internet fails visibly.  For every page it checks

* the math is typeset: after MathJax has finished, the page's text holds no ``\\(``, ``\\[`` or
  ``$$`` (raw TeX) and MathJax produced output wherever the page has math;
* every image loaded (``naturalWidth > 0``);
* the browser console has no error;
* no interactive widget is shown as if it worked (a panel needs a kernel: the static page shows its
  figure instead);

and, over the build folder without a browser, that every internal link points at a file that exists
and, with a ``#fragment``, at an anchor of that page.  A full-page screenshot of each page is written
for a person to look at.  Exits 1 with one line per problem, 0 when every page passes.
"""

from __future__ import annotations

import argparse
import functools
import html.parser
import http.server
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
RAW_TEX = ("\\(", "\\[", "$$")


class _Links(html.parser.HTMLParser):
    """Hrefs and element ids of one HTML file."""

    def __init__(self):
        super().__init__()
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        if tag in ("a", "link") and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag in ("img", "script") and attrs.get("src"):
            self.hrefs.append(attrs["src"])


def check_links(root: Path) -> list[str]:
    """Internal links of every page that point at a missing file or a missing anchor."""
    parsed = {}
    for page in root.rglob("*.html"):
        if "_static" in page.relative_to(root).parts:  # theme template fragments, not pages
            continue
        parser = _Links()
        parser.feed(page.read_text(errors="replace"))
        parsed[page.resolve()] = parser
    problems = []
    for page, parser in sorted(parsed.items()):
        for href in parser.hrefs:
            url = urlparse(href)
            if url.scheme or href.startswith(("//", "mailto:", "javascript:", "data:")):
                continue
            target, fragment = urldefrag(href)
            target = urlparse(target).path  # without ?query (cache-busting digests)
            path = (page.parent / unquote(target)).resolve() if target else page
            if path.is_dir():
                path = path / "index.html"
            if not path.exists():
                problems.append(f"{page.relative_to(root.resolve())}: broken link {href}")
            elif fragment and path.suffix == ".html" and path in parsed and fragment not in parsed[path].ids:
                problems.append(f"{page.relative_to(root.resolve())}: link {href} names a missing anchor")
    return problems


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no access log on the console
        pass


def _serve(root: Path):
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


_WAIT_FOR_MATH = """
const done = arguments[arguments.length - 1];
const start = Date.now();
(function poll() {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(() => done('typeset'), e => done('error: ' + e));
  } else if (Date.now() - start > 5000) {
    done(window.MathJax ? 'no startup' : 'no mathjax');
  } else { setTimeout(poll, 50); }
})();
"""


def check_page(driver, url: str, name: str, shots: Path | None) -> list[str]:
    """The browser checks of one page (see the module docstring)."""
    from selenium.common.exceptions import TimeoutException

    problems = []
    driver.set_script_timeout(120)
    for _ in range(2):  # a cold browser can be slow on its first pages: one reload before failing
        driver.get(url)
        try:
            math = driver.execute_async_script(_WAIT_FOR_MATH)
            break
        except TimeoutException:
            math = "timed out after 120 s"
            driver.get_log("browser")  # start the retry with an empty console
    has_math = driver.execute_script("return document.querySelectorAll('.math, div.math, span.math').length")
    typeset = driver.execute_script("return document.querySelectorAll('mjx-container').length")
    if has_math and (math != "typeset" or not typeset):
        problems.append(f"{name}: math not typeset ({math}, {typeset} MathJax elements for {has_math} formulas)")
    text = driver.execute_script("return document.body.innerText")
    for token in RAW_TEX:
        if token in text:
            at = text.index(token)
            problems.append(f"{name}: raw TeX {token!r} in the rendered text: {text[max(0, at - 30) : at + 30]!r}")
    broken = driver.execute_script(
        "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    problems += [f"{name}: image not loaded: {src}" for src in broken]
    widgets = driver.execute_script(
        'return document.querySelectorAll(\'script[type="application/vnd.jupyter.widget-view+json"], '
        ".jupyter-widgets, .widget-slider').length"
    )
    if widgets:
        problems.append(f"{name}: {widgets} interactive widget element(s) shown without a kernel")
    for entry in driver.get_log("browser"):
        # the browser asks every site for /favicon.ico by itself (the book has none), and the theme
        # logs "invalid theme mode" as an error on a reader's very first page (no stored colour mode)
        message = entry.get("message", "")
        if entry.get("level") == "SEVERE" and "favicon.ico" not in message and "invalid theme mode" not in message:
            problems.append(f"{name}: console error: {entry.get('message', '')[:200]}")
    if shots is not None:
        shot = shots / (name.replace("/", "__").removesuffix(".html") + ".png")
        height = driver.execute_script("return Math.min(document.body.scrollHeight, 20000)")
        driver.set_window_size(1280, max(900, int(height)))
        time.sleep(0.2)
        driver.save_screenshot(str(shot))
        driver.set_window_size(1280, 900)
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="_build/html", help="the built HTML (default _build/html)")
    parser.add_argument(
        "--screenshots", default=None, help="folder for the screenshots (default: <root>/../screenshots)"
    )
    args = parser.parse_args(argv)
    root = Path(args.root)
    if not (root / "index.html").is_file():
        print(f"error: {root} holds no built book (index.html missing); run make book first", file=sys.stderr)
        return 2
    shots = Path(args.screenshots) if args.screenshots else root.parent / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    problems = check_links(root)
    pages = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.html")
        if not p.name.startswith(("genindex", "search")) and "_static" not in p.parts
    )
    server = _serve(root)
    driver = _driver()
    try:
        start = time.perf_counter()
        for name in pages:
            problems += check_page(driver, f"http://127.0.0.1:{server.server_port}/{name}", name, shots)
    finally:
        driver.quit()
        server.shutdown()
    for line in problems:
        print(line)
    print(
        f"{len(pages)} pages checked in {time.perf_counter() - start:.0f} s; {len(problems)} problem(s); "
        f"screenshots in {shots}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
