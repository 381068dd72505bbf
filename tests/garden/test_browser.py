"""The built garden in a real browser: Debian's headless chromium opens the pages from the disk.

The image check reads pixels: the test figure is a solid magenta PNG, a colour the stylesheet never
uses, so magenta on the screenshot means the <img> loaded and was laid out; the same page with the
file removed is the control that shows the check can fail. The stylesheet is checked the same way
through the "holds" badge's green background.
"""

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest

from nngarden.garden.report import build_garden

from .conftest import EVIL, MAGENTA, fake_notes, make_runs

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)",
)

HOLDS_BG = (0xDA, 0xFB, 0xE1)  # --holds-bg in style.css
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"  # a fresh profile each time
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
    return done


def dump_dom(tmp_path: Path, page: Path) -> str:
    return chromium(tmp_path, "--dump-dom", page.resolve().as_uri()).stdout


def screenshot_pixels(tmp_path: Path, page: Path, size=(1280, 2000)):
    from PIL import Image

    shot = tmp_path / f"{page.stem}-{len(list(tmp_path.glob('*.png')))}.png"
    chromium(tmp_path, f"--screenshot={shot}", f"--window-size={size[0]},{size[1]}", page.resolve().as_uri())
    image = Image.open(BytesIO(shot.read_bytes())).convert("RGB")
    assert image.size == size
    return image


def count(image, rgb, tolerance=6) -> int:
    return sum(
        n
        for n, pixel in image.getcolors(maxcolors=1 << 24)
        if all(abs(a - b) <= tolerance for a, b in zip(pixel, rgb))
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("garden")
    return build_garden(make_runs(root / "runs"), root / "site", fake_notes()).parent


def test_index_renders_every_note_with_its_claims(site, tmp_path):
    dom = dump_dom(tmp_path, site / "index.html")
    assert "<title>nngarden · nngarden</title>" in dom
    for text in (
        "Alpha note",
        "Beta note",
        "Gamma note",
        ">first<",
        ">second<",
        ">only<",
        ">pending<",
        'class="verdict verdict-holds">holds<',
        'class="verdict verdict-fails">fails<',
        "124,439,808",
    ):
        assert text in dom, text
    assert "<script" not in dom.lower()  # the run's <script> is text, not an element
    image = screenshot_pixels(tmp_path, site / "index.html")
    assert count(image, MAGENTA) > 0.9 * 260 * 162  # the thumbnail: 320x200 drawn 260 wide
    assert count(image, HOLDS_BG) > 100  # the stylesheet loaded


def test_note_page_renders_claims_and_its_image_loads(site, tmp_path):
    page = site / "notes" / "alpha.html"
    dom = dump_dom(tmp_path, page)
    assert "Attention is a convex combination" in dom and "Quick preset cannot decide this." in dom
    assert EVIL.replace("<", "&lt;").replace(">", "&gt;") in dom and "<script" not in dom.lower()
    assert 'src="alpha/figures/solid.png"' in dom
    image = screenshot_pixels(tmp_path, page, size=(1280, 1400))
    assert count(image, MAGENTA) > 0.95 * 320 * 200  # shown at its own size
    assert count(image, HOLDS_BG) > 100


def test_a_missing_image_is_seen_as_missing(site, tmp_path):
    """The control: the same page without its PNG shows no magenta, so the check above can fail."""
    copy = tmp_path / "copy"
    shutil.copytree(site, copy)
    (copy / "notes" / "alpha" / "figures" / "solid.png").unlink()
    image = screenshot_pixels(tmp_path, copy / "notes" / "alpha.html", size=(1280, 1400))
    assert count(image, MAGENTA) == 0
