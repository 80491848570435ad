"""report.html in a real browser: headless Chromium (Debian's `chromium`,
installed by `make test`) opens the golden report from a file, with no
network, and must show the verdict and the charts, and print it.

Three looks: the DOM after load (what the page builds), a screenshot (what
it paints: the banner in the verdict's colour, the chart lines in theirs)
and a PDF on Letter and on A4 (it prints).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from peakready import reports
from tests.support.golden import golden

CHROMIUM = shutil.which("chromium")
NO_NETWORK = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              "--disable-default-apps", "--disable-extensions", "--no-pings",
              "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]
NO_GO_RED = (0xA5, 0x0E, 0x0E)
P99_PURPLE = (0x93, 0x34, 0xE6)  # latency chart, p99 line
LATE_ORANGE = (0xF2, 0x99, 0x00)  # session-start chart, late line


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert CHROMIUM, ("chromium is not installed: run `scripts/ensure-debian-packages "
                      "chromium` (`make test` does)")
    out = tmp_path_factory.mktemp("html")
    return reports.write_all(golden(), out)["report.html"]


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([CHROMIUM or "chromium", *NO_NETWORK,
                          f"--user-data-dir={tmp_path / 'profile'}", *args],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    return res


def count(img: Image.Image, color: tuple[int, int, int], tolerance: int = 12) -> int:
    """Pixels within ``tolerance`` of ``color`` on every channel."""
    colors = img.getcolors(maxcolors=img.width * img.height) or []
    return sum(n for n, c in colors
               if all(abs(a - b) <= tolerance for a, b in zip(c, color, strict=True)))


def test_dom_shows_verdict_and_three_charts(page: Path, tmp_path: Path) -> None:
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    banner = re.search(r'<header class="banner v-NO-GO" id="verdict">\s*<h1>(.*?)</h1>', dom)
    assert banner and banner.group(1) == "NO-GO"
    for name in ("sessions", "latency", "errors"):
        assert re.search(rf'<figure id="fig-{name}"[^>]*>\s*<svg[^>]*id="chart-{name}"', dom)
    assert "<script" not in dom


def test_screenshot_paints_banner_and_chart_lines(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    chromium(tmp_path, "--window-size=1280,3200", "--hide-scrollbars",
             f"--screenshot={shot}", page.as_uri())
    img = Image.open(shot).convert("RGB")
    top = img.crop((0, 0, img.width, 120))
    assert count(top, NO_GO_RED) > top.width * top.height / 2  # the banner comes first
    assert count(img, P99_PURPLE) > 500
    assert count(img, LATE_ORANGE) > 100


@pytest.mark.parametrize(("paper", "css", "media_box"), [
    ("Letter", "", "0 0 612 792"),
    ("A4", "@page { size: A4; }", "0 0 594.9"),
])
def test_prints(page: Path, tmp_path: Path, paper: str, css: str, media_box: str) -> None:
    html = page.read_text(encoding="utf-8")
    if css:  # what a print dialogue set to A4 does
        html = html.replace("</style>", css + "\n</style>", 1)
    copy = tmp_path / "report.html"
    copy.write_text(html, encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", copy.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[([^\]]*)\]", data)
    assert boxes and all(b.decode().startswith(media_box) for b in boxes), paper
    pages = int(re.findall(rb"/Count (\d+)", data)[-1])
    assert 2 <= pages <= 12, pages
