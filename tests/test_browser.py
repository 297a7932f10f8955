"""The built book in a real browser: the sliders change the figures with no kernel and no
request to any other host. Needs `make html` first and Chromium at /usr/bin/chromium."""
import functools
import hashlib
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
HTML = ROOT / "_build" / "html"

REQUIRED = bool(os.environ.get("NBLIB_REQUIRE_BROWSER"))
needs_browser = pytest.mark.skipif(
    not REQUIRED and not (CHROMIUM.exists() and HTML.exists()),
    reason="needs /usr/bin/chromium and a built book (make html); CI sets NBLIB_REQUIRE_BROWSER")
needs_html = pytest.mark.skipif(not REQUIRED and not HTML.exists(),
                                reason="needs a built book (make html, which make test runs first)")


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield chromium
        chromium.close()


# Figure sliders (ordered choices) and figure menus (categorical ones) per chapter page.
SLIDERS = {"binary_tree": 2, "beta_lasso": 1, "needle": 1, "image_nets": 2}
MENUS = {"beta_lasso": 2, "digit_pairs": 1, "weight_divergence": 2}


def visible_image_hash(box):
    """Hash of the pixels of the figure the widget box shows now."""
    images = box.locator("img.widget-image")
    shown = [images.nth(i) for i in range(images.count()) if images.nth(i).is_visible()]
    assert len(shown) == 1, f"expected exactly one visible figure, got {len(shown)}"
    return hashlib.sha256(shown[0].screenshot()).hexdigest()


def watched_page(browser, server, chapter):
    """A chapter's page at 1280x900, with lists that collect its requests, failed requests and console errors."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = {"requests": [], "failed": [], "errors": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("requestfailed", lambda r: seen["failed"].append(r.url))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.goto(f"{server}/book/{chapter}.html", wait_until="networkidle")
    return page, seen


def assert_offline_and_quiet(server, seen):
    """No request left this host, none failed (but the favicon), no error reached the console."""
    own = urlparse(server).netloc
    foreign = [u for u in seen["requests"] if urlparse(u).scheme in ("http", "https") and urlparse(u).netloc != own]
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert [u for u in seen["failed"] if not u.endswith("favicon.ico")] == []
    assert seen["errors"] == [], f"errors in the page's console: {seen['errors']}"


@needs_browser
@pytest.mark.parametrize("chapter, sliders", SLIDERS.items())
def test_chapter_sliders_change_the_figure_offline(server, browser, chapter, sliders):
    page, seen = watched_page(browser, server, chapter)
    page.wait_for_selector(".widget-slider .noUi-handle", timeout=30_000)
    boxes = page.locator(".widget-vbox:has(.widget-slider)")
    assert boxes.count() >= sliders, f"{chapter} has {sliders} figure slider(s)"
    for b in range(boxes.count()):
        box = boxes.nth(b)
        box.scroll_into_view_if_needed()
        handle = box.locator(".noUi-handle")
        steps = int(float(handle.get_attribute("aria-valuemax"))) + 1
        assert steps >= 2
        shown = [visible_image_hash(box)]
        for _ in range(steps - 1):
            handle.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(150)
            shown.append(visible_image_hash(box))
        assert len(set(shown)) == steps, f"slider {b}: every position shows its own figure"
    page.keyboard.press("Home")
    assert_offline_and_quiet(server, seen)
    page.close()


@needs_browser
@pytest.mark.parametrize("chapter, menus", MENUS.items())
def test_chapter_menus_change_the_figure_offline(server, browser, chapter, menus):
    page, seen = watched_page(browser, server, chapter)
    page.wait_for_selector(".widget-dropdown select", timeout=30_000)
    boxes = page.locator(".widget-vbox:has(.widget-dropdown)")
    assert boxes.count() == menus, f"{chapter} has {menus} figure menu(s)"
    for b in range(boxes.count()):
        box = boxes.nth(b)
        box.scroll_into_view_if_needed()
        select = box.locator("select")
        options = select.locator("option").count()
        assert options >= 2
        shown = []
        for i in range(options):
            select.select_option(index=i)
            page.wait_for_timeout(150)
            shown.append(visible_image_hash(box))
        assert len(set(shown)) == options, f"menu {b}: every choice shows its own figure"
    assert_offline_and_quiet(server, seen)
    page.close()


@needs_browser
@pytest.mark.parametrize("chapter", MENUS)
def test_menus_fit_a_phone(server, browser, chapter):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(f"{server}/book/{chapter}.html", wait_until="networkidle")
    page.wait_for_selector(".widget-dropdown select", timeout=30_000)
    past = page.evaluate("""() => [...document.querySelectorAll('.widget-dropdown select')].map(e => {
        const column = e.closest('.cell_output') || document.querySelector('article');
        return e.getBoundingClientRect().right - column.getBoundingClientRect().right; })""")
    assert past and all(px <= 1 for px in past), f"menus running past their column by {past} px"
    page.close()


@needs_html
@pytest.mark.parametrize("page_name", ["index.html", "book/intro.html", "book/studies.html",
                                       "book/binary_tree.html", "book/beta_lasso.html",
                                       "book/digit_pairs.html", "book/needle.html",
                                       "book/weight_divergence.html", "book/image_nets.html"])
def test_pages_reference_no_cdn(page_name):
    html = (HTML / page_name).read_text()
    for host in ("cdn.jsdelivr", "unpkg.com", "cdnjs.", "googleapis"):
        assert host not in html


# Chapters published with the book's anatomy (issue 23): a "What we found" box, numbered figures with captions,
# hidden code. The other chapters join this list when their issues re-run them.
ANATOMY = ["beta_lasso", "binary_tree", "digit_pairs", "image_nets", "needle", "weight_divergence"]


def _visible(locator):
    return [locator.nth(i) for i in range(locator.count()) if locator.nth(i).is_visible()]


@needs_browser
@pytest.mark.parametrize("chapter", ANATOMY)
def test_chapter_reads_like_a_book(server, browser, chapter):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{server}/book/{chapter}.html", wait_until="networkidle")
    found = page.locator(".admonition:has-text('What we found')")
    assert found.count() == 1 and found.first.bounding_box()["y"] < 800, "the findings start on the first screen"
    assert _visible(page.get_by_text("NBVAL")) == [], "test markers never reach the page"
    assert _visible(page.locator(".cell_input")) == [], "code is hidden (one click shows it)"
    figures = page.locator("figure:has(img)")
    assert figures.count() >= 1
    for i in range(figures.count()):
        figure = figures.nth(i)
        assert "Fig" in figure.locator("figcaption").inner_text(), f"figure {i} has a numbered caption"
        alt = figure.locator("img").first.get_attribute("alt") or ""
        assert len(alt) > 20 and not alt.endswith(".png"), f"figure {i} has alt text, not a path: {alt!r}"
    loose = page.locator(".cell_output img:not(.widget-image)")
    assert [loose.nth(i).get_attribute("src") for i in range(loose.count())
            if not loose.nth(i).evaluate("e => !!e.closest('figure')")] == [], "every image figure is numbered"
    too_wide = page.evaluate("""() => [...document.querySelectorAll('article table')]
        .filter(t => t.offsetWidth > 0)
        .filter(t => { const box = t.closest('.pst-scrollable-table-container') || t.parentElement;
                       return box.scrollWidth > box.clientWidth + 1; })
        .map(t => t.innerText.slice(0, 60))""")
    assert too_wide == [], f"tables wider than their column: {too_wide}"
    page.close()


@needs_browser
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("chapter", [c for c in ANATOMY if c in SLIDERS])
def test_sliders_announce_their_value_and_show_it_whole(server, browser, chapter, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(f"{server}/book/{chapter}.html", wait_until="networkidle")
    page.wait_for_selector(".widget-slider .noUi-handle", timeout=30_000)
    assert page.locator('[title="null"]').count() == 0, "no 'null' tooltip"
    sliders = page.locator(".widget-slider")
    for s in range(sliders.count()):
        slider = sliders.nth(s)
        slider.scroll_into_view_if_needed()
        handle, readout = slider.locator(".noUi-handle"), slider.locator(".widget-readout")
        for _ in range(2):
            assert handle.get_attribute("aria-valuetext") == readout.inner_text().strip()
            clipped = readout.evaluate("e => e.scrollWidth > e.clientWidth + 1")
            assert not clipped, f"slider {s}: the read-out {readout.inner_text()!r} is clipped at {width} px"
            handle.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(150)
    page.close()
