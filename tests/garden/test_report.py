"""The garden built from run directories written by hand (and one written by the real runner)."""

import dataclasses
import json
import os
import re
from pathlib import Path

import pytest

from nngarden.cli import main
from nngarden.config import ConfigError
from nngarden.garden.report import MARKER, build_garden
from nngarden.runs import run_note

from ..notes.example_note import NOTE as EXAMPLE
from ..notes.example_note.config import ExampleConfig
from .conftest import MAGENTA, claim, fake_notes, png_bytes, write_run


def card(index_html: str, slug: str) -> str:
    """The <article> of one note on the index page."""
    match = re.search(rf'<article class="card[^"]*" id="{slug}">(.*?)</article>', index_html, re.S)
    assert match, f"no card for {slug}"
    return match.group(1)


def claim_row(page: str, cid: str) -> str:
    match = re.search(rf'<tr id="claim-{cid}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, f"no row for claim {cid}"
    return match.group(1)


@pytest.fixture
def site(runs, notes, tmp_path, capsys):
    index = build_garden(runs, tmp_path / "site", notes)
    return index.parent, capsys.readouterr().err


def read(site_dir: Path, name: str) -> str:
    return (site_dir / name).read_text(encoding="utf-8")


def test_index_lists_registered_notes_in_order_with_verdicts_and_numbers(site):
    site_dir, _ = site
    index = read(site_dir, "index.html")
    assert index.index('id="alpha"') < index.index('id="beta"') < index.index('id="gamma"')
    alpha = card(index, "alpha")
    assert re.search(
        r'verdict-holds">holds</span>\s*<a class="claim-id" href="notes/alpha.html#claim-first">', alpha
    )
    assert re.search(r'verdict-inconclusive">inconclusive</span>\s*<a[^>]*>second</a>', alpha)
    assert "0.9877" in alpha and "124,439,808" in alpha and "1.881" in alpha
    assert "wall_seconds" not in alpha  # timing goes in the meta line, not among the headline numbers
    assert re.search(r'verdict-fails">fails</span>\s*<a[^>]*>only</a>', card(index, "beta"))
    gamma = card(index, "gamma")
    assert "verdict-notrun" in gamma and "not run" in gamma and "nngarden run gamma --quick" in gamma
    assert "1 holds" in index and "1 fails" in index and "1 inconclusive" in index


def test_note_page_has_summary_claims_table_metrics_config_provenance(site):
    site_dir, _ = site
    page = read(site_dir, "notes/alpha.html")
    assert "<h1>Alpha note</h1>" in page
    assert "Alpha measures two things about attention." in page  # the registry's summary
    first = claim_row(page, "first")
    assert "Attention is a convex combination" in first and 'verdict-holds">holds<' in first
    assert "max_row_sum_error" in first and "2.384e-7" in first and 'title="2.384185791015625e-07"' in first
    assert "error &lt; 1e-5" in first  # criterion
    second = claim_row(page, "second")
    assert "verdict-inconclusive" in second and "needs 2000 steps" in second
    for text in ("n_params", "124,439,808", "val_loss", "1.881"):
        assert text in page
    assert "model.n_layer" in page and "train.lr" in page and "0.001" in page and "[0.9, 0.99]" in page
    for text in ("quick", "abc123def456", "3.11.2", "2.13.0", "1.50 / 2.25 / 3.00", "12.5 s", "11.8 s"):
        assert text in page, text
    assert 'href="../index.html"' in page and 'href="../style.css"' in page


def test_newest_valid_run_is_shown_and_older_ones_are_listed(site):
    site_dir, err = site
    page = read(site_dir, "notes/alpha.html")
    assert "OLD alpha run" not in page
    assert "2026-03-01 10:00" in page
    assert str(Path("alpha") / "old") in page  # named among the older runs
    # the broken run is newer by its stamp but breaks the contract: skipped and reported, not shown
    assert "broken-newest" in err and "not a finite number" in err
    assert "2027-01-01" not in page
    assert "broken-newest" in read(site_dir, "index.html")


def test_text_from_runs_is_escaped_everywhere(site):
    site_dir, _ = site
    pages = [read(site_dir, "index.html")] + [p.read_text() for p in (site_dir / "notes").glob("*.html")]
    for page in pages:
        assert "<script" not in page.lower()
    alpha = read(site_dir, "notes/alpha.html")
    assert "&lt;script&gt;alert(" in claim_row(alpha, "first")  # statement, criterion, evidence name
    assert alpha.count("&lt;script&gt;") >= 4  # ... and the text figure


def test_figures_are_copied_and_shown(site, runs):
    site_dir, _ = site
    copied = site_dir / "notes" / "alpha" / "figures" / "solid.png"
    assert copied.read_bytes() == (runs / "alpha" / "new" / "figures" / "solid.png").read_bytes()
    page = read(site_dir, "notes/alpha.html")
    img = re.search(r'<img src="([^"]+)" alt="([^"]+)">', page)
    assert img and img.group(1) == "alpha/figures/solid.png" and "solid" in img.group(2)
    assert (site_dir / "notes" / img.group(1)).is_file()
    assert re.search(r'<pre class="text-figure">KING: to be &lt;script&gt;.*?&amp; so on', page, re.S)
    thumb = re.search(r'<a class="thumb"[^>]*><img src="([^"]+)"', read(site_dir, "index.html"))
    assert thumb and (site_dir / thumb.group(1)).is_file()


def test_links_between_notes_work_both_ways(site):
    site_dir, _ = site
    alpha, beta = read(site_dir, "notes/alpha.html"), read(site_dir, "notes/beta.html")
    assert 'href="beta.html">Beta note</a>' in alpha
    assert "chip-dead" in alpha and "nowhere" in alpha  # a link to no note is shown but not a dead href
    assert "Linked from" in beta and 'href="alpha.html">Alpha note</a>' in beta
    # every relative link on every page points at a file that exists
    for page in [site_dir / "index.html", *(site_dir / "notes").glob("*.html")]:
        for href in re.findall(r'(?:href|src)="([^"#]+)', page.read_text()):
            assert (page.parent / href).exists(), f"{page.name}: {href}"


def test_unrun_registered_note_gets_a_page_with_its_claims(site):
    site_dir, _ = site
    gamma = read(site_dir, "notes/gamma.html")
    assert "Gamma&#39;s claim, not measured yet." in gamma and "verdict-notrun" in gamma
    assert "nngarden run gamma --quick" in gamma


def test_unregistered_note_is_shown_after_the_registered_ones(runs, notes, tmp_path):
    write_run(
        runs / "stray",
        "zeta",
        [claim("z", "holds", "Zeta's claim")],
        title="Zeta <b>",
        finished="2026-01-01T00:00:00",
    )
    index = build_garden(runs, tmp_path / "site", notes).read_text()
    assert index.index('id="gamma"') < index.index('id="zeta"')
    assert "Zeta &lt;b&gt;" in index
    assert "Zeta&#39;s claim" in (tmp_path / "site" / "notes" / "zeta.html").read_text()


def test_run_with_other_claim_ids_than_the_registered_note_is_skipped(runs, notes, tmp_path, capsys):
    write_run(runs / "beta" / "renamed", "beta", [claim("renamed", "holds")], finished="2030-01-01T00:00:00")
    build_garden(runs, tmp_path / "site", notes)
    assert "renamed" in capsys.readouterr().err
    assert "Beta fails." in (tmp_path / "site" / "notes" / "beta.html").read_text()


@pytest.mark.parametrize("content", ["{not json", "[]", json.dumps({"note": "../evil"}), ""])
def test_unreadable_findings_are_skipped_not_fatal(runs, notes, tmp_path, capsys, content):
    bad = runs / "bad"
    bad.mkdir()
    (bad / "findings.json").write_text(content)
    build_garden(runs, tmp_path / "site", notes)
    assert str(bad) in capsys.readouterr().err
    assert not (tmp_path / "evil.html").exists()


def test_figure_paths_outside_the_run_are_not_published(tmp_path, notes, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("private key")
    run = write_run(tmp_path / "runs" / "b", "beta", [claim("only", "holds")], finished="2026-01-01T00:00:00")
    data = json.loads((run / "findings.json").read_text())
    data["figures"] = ["../../secret.txt", str(secret), "figures/absent.png"]
    (run / "findings.json").write_text(json.dumps(data))
    (run / "figures").mkdir()
    (run / "figures" / "link.txt").symlink_to(secret)
    data["figures"].append("figures/link.txt")
    (run / "findings.json").write_text(json.dumps(data))
    site_dir = build_garden(tmp_path / "runs", tmp_path / "site", notes).parent
    published = [p for p in site_dir.rglob("*") if p.is_file()]
    assert not any("private key" in p.read_text(errors="ignore") for p in published)
    page = (site_dir / "notes" / "beta.html").read_text()
    assert page.count("leaves the run directory") == 3 and "not in the run directory" in page
    assert "absent.png" in capsys.readouterr().err


def test_without_finished_stamps_the_newest_file_wins(tmp_path, notes):
    old = write_run(tmp_path / "runs" / "one", "beta", [claim("only", "fails", "the older one")])
    new = write_run(tmp_path / "runs" / "two", "beta", [claim("only", "holds", "the newer one")])
    os.utime(old / "findings.json", (2_000_000_000, 2_000_000_000))  # "one" sorts first but is newer
    os.utime(new / "findings.json", (1_000_000_000, 1_000_000_000))
    page = (
        build_garden(tmp_path / "runs", tmp_path / "site", notes).parent / "notes" / "beta.html"
    ).read_text()
    assert "the older one" in page and "the newer one" not in page and "(file time)" in page


def test_rebuild_replaces_the_old_site(runs, notes, tmp_path):
    out = tmp_path / "site"
    build_garden(runs, out, notes)
    (out / "notes" / "stale.html").write_text("old")
    only_beta = {"beta": notes["beta"]}
    build_garden(runs, out, only_beta)
    assert not (out / "notes" / "stale.html").exists() and not (out / "notes" / "gamma.html").exists()
    assert (out / MARKER).exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []  # no temp folders left


def test_refuses_to_overwrite_a_folder_that_is_not_a_garden(runs, notes, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(ConfigError, match="--out"):
        build_garden(runs, out, notes)
    assert (out / "thesis.tex").read_text() == "precious"
    with pytest.raises(ConfigError, match="--out"):
        build_garden(runs, runs.parent, notes)  # the site folder would swallow the runs
    with pytest.raises(ConfigError, match="--runs"):
        build_garden(tmp_path / "absent", tmp_path / "site", notes)


def test_empty_runs_folder_gives_a_site_of_unrun_notes(tmp_path, notes, capsys):
    (tmp_path / "runs").mkdir()
    index = build_garden(tmp_path / "runs", tmp_path / "site", notes).read_text()
    assert index.count("verdict-notrun") == 4  # alpha's two claims, beta's one, gamma's one
    assert "no run directory" in capsys.readouterr().err


# --- a run written by the real runner, and the CLI --------------------------------------------------
CURVE = dataclasses.replace(EXAMPLE, slug="curve", title="Curve note", links=("alpha",))


def test_a_run_written_by_run_note_is_shown(tmp_path):
    run_note(CURVE, ExampleConfig.tiny(), tmp_path / "runs" / "curve" / "r1", preset="tiny")
    site_dir = build_garden(tmp_path / "runs", tmp_path / "site", {"curve": CURVE, **fake_notes()}).parent
    page = (site_dir / "notes" / "curve.html").read_text()
    assert 'verdict-holds">holds<' in claim_row(page, "slope") and "max_slope_error" in page
    assert (site_dir / "notes" / "curve" / "figures" / "slopes.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "tiny" in page and "steps" in page and 'href="alpha.html"' in page


def test_cli_report_prints_the_index_path(runs, tmp_path, capsys):
    write_run(
        runs / "zz", "zz-unregistered", [claim("c", "holds", "From the CLI.")], finished="2026-01-01T00:00:00"
    )
    assert main(["report", "--runs", str(runs), "--out", str(tmp_path / "site")]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed == (tmp_path / "site" / "index.html").resolve() and printed.is_file()
    assert "From the CLI." in (tmp_path / "site" / "notes" / "zz-unregistered.html").read_text()


def test_cli_report_bad_runs_folder_exits_2(tmp_path, capsys):
    assert main(["report", "--runs", str(tmp_path / "nope"), "--out", str(tmp_path / "site")]) == 2
    assert "--runs" in capsys.readouterr().err


def test_magenta_png_helper_is_a_real_png():
    data = png_bytes(2, 1, MAGENTA)
    from io import BytesIO

    from PIL import Image

    assert Image.open(BytesIO(data)).convert("RGB").getpixel((1, 0)) == MAGENTA
