"""What a page costs a browser: bytes transferred (all, and JavaScript alone) and the time to
DOMContentLoaded, read from the Navigation and Resource Timing entries of a Playwright page.
Shared by tests/browser/test_page_weight.py and bench/page_weight.py."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page

# transferSize counts the bytes on the wire (compressed body and headers), and 0 for a response
# taken from the browser's cache without asking the server.
_READ = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  const isScript = (r) => r.initiatorType === "script" || /\\.js([?#]|$)/.test(r.name);
  const sum = (list) => list.reduce((total, r) => total + r.transferSize, 0);
  return {
    total: nav.transferSize + sum(resources),
    javascript: sum(resources.filter(isScript)),
    dom_content_loaded_ms: nav.domContentLoadedEventEnd - nav.startTime,
    response_ms: nav.responseEnd - nav.startTime,
    slowest: resources
      .map((r) => [r.name.replace(location.origin, ""), Math.round(r.responseEnd - r.startTime)])
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3),
    requests: 1 + resources.length,
    largest: resources
      .map((r) => [r.name.replace(location.origin, ""), r.transferSize])
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5),
  };
}"""


@dataclass
class Weight:
    total: int  # bytes transferred, the page and everything it loaded so far
    javascript: int  # bytes transferred for scripts
    dom_content_loaded_ms: float
    response_ms: float  # until the page's HTML has arrived
    slowest: list[tuple[str, int]]  # the resources that took longest, in ms
    requests: int
    largest: list[tuple[str, int]]
    drawn_ms: float | None = None  # until every chart was drawn (load with charts=True)


def read(page: Page) -> Weight:
    """The page's weight so far; call it once what should be loaded has loaded."""
    return Weight(**page.evaluate(_READ))


# Every plot element of a page (metric charts and the plan's charts) once plotly has drawn it.
_ALL_DRAWN = """() => [...document.querySelectorAll(".chart, .plan-plot")]
  .every((e) => e.querySelector(".main-svg"))"""


# Scroll down a screen at a time, so that every lazy chart is revealed and asks for its card.
_SCROLL_THROUGH = """async () => {
  for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight / 2) {
    scrollTo(0, y);
    await new Promise((done) => setTimeout(done, 50));
  }
}"""


def load(page: Page, url: str, *, charts: bool = False) -> Weight:
    """Open url, wait for the load event and the network to settle, and read the weight. With
    charts=True, first bring every lazy chart into view and wait until each one is drawn."""
    page.goto(url, wait_until="load")
    if charts:
        page.evaluate(_SCROLL_THROUGH)
        page.wait_for_load_state("networkidle")
        page.wait_for_function(_ALL_DRAWN, polling=20)
        drawn_ms = page.evaluate("performance.now()")
    page.wait_for_load_state("networkidle")
    weight = read(page)
    if charts:
        weight.drawn_ms = drawn_ms
    return weight
