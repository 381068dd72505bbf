"""Hostile run directories: a run directory can come from anyone, and a garden is often opened from disk.

Active figures (SVG, HTML, ...) are refused, never published; a malformed findings.json makes its own run
directory broken (listed, with the reason, and skipped), never the report; `serve` sends a content
security policy and nosniff with every response.
"""

import json
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from nngarden.cli import main
from nngarden.garden import report
from nngarden.garden.report import build_garden
from nngarden.garden.serve import make_server

from .conftest import MAGENTA, claim, png_bytes, write_run

SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = "<html><body><script>alert(document.cookie)</script></body></html>"
PLACEHOLDER = 987654321  # replaced in the written JSON text by what json.dumps cannot write
DIGITS_400 = "1" + "0" * 400  # fits JSON's int limit, not a float
DIGITS_5000 = "1" + "0" * 5000  # beyond Python's 4300-digit limit for reading an int
DEEP = "[" * 100_000 + "]" * 100_000


def good_beta(runs: Path) -> Path:
    return write_run(
        runs / "good", "beta", [claim("only", "fails", "The good run.")], finished="2026-01-01T00:00:00"
    )


def hostile_beta(runs: Path, **kwargs) -> Path:
    """A beta run newer than good_beta's, so it would be the one shown if it were not broken."""
    return write_run(
        runs / "hostile",
        "beta",
        [claim("only", "holds", "The hostile run.")],
        finished="2026-06-01T00:00:00",
        **kwargs,
    )


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def build(runs: Path, out: Path) -> tuple[str, str]:
    """Build through the command line (exit code 0 asserted); return (index, beta page)."""
    assert main(["report", "--runs", str(runs), "--out", str(out)]) == 0
    return (out / "index.html").read_text(), (out / "notes" / "beta.html").read_text()


@pytest.fixture(autouse=True)
def registry(monkeypatch, notes):
    """The command line reads the registry: give it the fake notes."""
    import nngarden.notes

    monkeypatch.setattr(nngarden.notes, "all_notes", lambda: notes)


def site_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file()]


# --- active content in figures --------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, content",
    [
        ("figures/plot.svg", SVG),
        ("figures/plot.html", HTML),
        ("figures/plot.xhtml", HTML),
        ("figures/plot.htm", HTML),
        ("figures/plot", HTML),  # no suffix: a browser opening it from disk may sniff it as HTML
        ("figures/plot.bin", HTML),
    ],
)
def test_active_or_unknown_figures_are_refused_and_not_copied(tmp_path, name, content):
    runs = tmp_path / "runs"
    hostile_beta(runs, figures={name: content, "figures/ok.png": png_bytes(4, 4, MAGENTA)})
    _, page = build(runs, tmp_path / "site")
    published = site_files(tmp_path / "site")
    assert not any("alert(document.cookie)" in p.read_text(errors="ignore") for p in published)
    assert not any(p.name == Path(name).name for p in published)
    figure = re.search(r'<figure class="figure figure-refused">(.*?)</figure>', page, re.S)
    assert figure and "Refused" in figure.group(1) and Path(name).name in figure.group(1)
    assert "script" in figure.group(1) or "only PNG" in figure.group(1)  # the reason is given
    assert f'href="beta/{name}"' not in page and f'src="beta/{name}"' not in page
    assert '<img src="beta/figures/ok.png"' in page  # the real PNG beside it is still shown


def test_png_is_recognised_by_its_bytes_not_its_name(tmp_path):
    runs = tmp_path / "runs"
    hostile_beta(runs, figures={"figures/fake.png": HTML, "figures/real.png": png_bytes(4, 4, MAGENTA)})
    _, page = build(runs, tmp_path / "site")
    assert not (tmp_path / "site" / "notes" / "beta" / "figures" / "fake.png").exists()
    assert (tmp_path / "site" / "notes" / "beta" / "figures" / "real.png").is_file()
    fake = re.search(r'<figure class="figure figure-refused">(.*?)</figure>', page, re.S)
    assert fake and "fake.png" in fake.group(1) and "does not start as a PNG image does" in fake.group(1)


def test_text_figures_are_escaped_and_long_ones_published_as_plain_text(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "TEXT_LIMIT", 100)
    runs = tmp_path / "runs"
    long_table = "a,b\n" + f"1,{HTML}\n" * 50
    hostile_beta(runs, figures={"figures/short.txt": HTML, "figures/table.csv": long_table})
    _, page = build(runs, tmp_path / "site")
    assert "<script" not in page and page.count("&lt;script&gt;") >= 2
    beta = tmp_path / "site" / "notes" / "beta" / "figures"
    assert not (beta / "short.txt").exists()  # shown whole on the page: no copy needed
    assert not (beta / "table.csv").exists()  # a .csv opened from disk might not be shown as text ...
    assert (beta / "table.csv.txt").read_text() == long_table  # ... so the whole file is published as .txt
    assert 'href="beta/figures/table.csv.txt"' in page


def fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as err:  # a 404 is a response too, and must carry the headers
        return err.code, err.headers


def test_serve_sends_a_content_security_policy_and_nosniff_with_every_response(runs, notes, tmp_path):
    site = build_garden(runs, tmp_path / "site", notes).parent
    server = make_server(site, 0)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path, status in [
            ("index.html", 200),
            ("notes/alpha.html", 200),
            ("notes/alpha/figures/solid.png", 200),
            ("style.css", 200),
            ("notes/", 200),  # a folder listing
            ("absent.svg", 404),
        ]:
            code, headers = fetch(f"http://127.0.0.1:{port}/{path}")
            assert code == status, path
            policy = headers.get("Content-Security-Policy", "")
            assert "default-src 'none'" in policy and "script-src" not in policy, path
            assert headers.get("X-Content-Type-Options") == "nosniff", path
    finally:
        server.shutdown()
        server.server_close()
    thread.join(timeout=10)


# --- malformed findings: one run broken, never the report -----------------------------------------
def _metric(path: Path, raw: str) -> None:
    replace_in(path / "findings.json", str(PLACEHOLDER), raw)


BROKEN_FINDINGS = {
    "metric of 400 digits": ({"metrics": {"m": PLACEHOLDER}}, DIGITS_400, "401 digits"),
    "metric of 5000 digits": ({"metrics": {"m": PLACEHOLDER}}, DIGITS_5000, "4300 digits"),
    "metric nested 100,000 deep": ({"metrics": {"m": PLACEHOLDER}}, DEEP, "nested too deeply"),
    "metric nested 600 deep": ({"metrics": {"m": PLACEHOLDER}}, "[" * 600 + "]" * 600, "not a finite number"),
    "negative metric of 400 digits": ({"metrics": {"m": PLACEHOLDER}}, "-" + DIGITS_400, "401 digits"),
}


@pytest.mark.parametrize("case", list(BROKEN_FINDINGS))
def test_malformed_metric_skips_only_its_run(tmp_path, case):
    kwargs, raw, reason = BROKEN_FINDINGS[case]
    runs = tmp_path / "runs"
    good_beta(runs)
    hostile = hostile_beta(runs, **kwargs)
    _metric(hostile, raw)
    index, page = build(runs, tmp_path / "site")
    assert "The good run." in page and "The hostile run." not in page
    skipped = re.search(r'aria-label="skipped runs">(.*?)</section>', index, re.S)
    assert skipped and str(hostile) in skipped.group(1) and reason in skipped.group(1)
    assert len(skipped.group(1)) < 5000  # the reason names the value, it does not print it


@pytest.mark.parametrize("raw, reason", [(DIGITS_400, "401 digits"), (DIGITS_5000, "4300 digits")])
def test_huge_integer_in_evidence_skips_only_its_run(tmp_path, raw, reason):
    runs = tmp_path / "runs"
    good_beta(runs)
    hostile = write_run(
        runs / "hostile",
        "beta",
        [claim("only", "holds", "The hostile run.", evidence={"x": PLACEHOLDER})],
        finished="2026-06-01T00:00:00",
    )
    _metric(hostile, raw)
    index, page = build(runs, tmp_path / "site")
    assert "The good run." in page and "The hostile run." not in page
    assert str(hostile) in index and reason in index


def test_huge_integer_in_provenance_skips_nothing_but_is_not_shown_as_a_time(tmp_path):
    runs = tmp_path / "runs"
    hostile = hostile_beta(runs)
    replace_in(hostile / "findings.json", '"seconds": 12.5', f'"seconds": {DIGITS_400}')
    replace_in(hostile / "findings.json", '"load_average": [', f'"load_average": [{DIGITS_400}, ')
    _, page = build(runs, tmp_path / "site")
    assert "The hostile run." in page and "401 digits" in page
    assert DIGITS_400 not in page


@pytest.mark.parametrize(
    "raw, reason",
    [
        (DIGITS_5000, "4300 digits"),
        (DEEP, "nested too deeply"),
        ("[" * 100_000 + "1", "could not be read"),  # cut short as well as deep
    ],
)
def test_unreadable_config_json_is_reported_on_the_page(tmp_path, raw, reason, capsys):
    runs = tmp_path / "runs"
    hostile = hostile_beta(runs, config={"seed": PLACEHOLDER})
    replace_in(hostile / "config.json", str(PLACEHOLDER), raw)
    _, page = build(runs, tmp_path / "site")
    assert "The hostile run." in page  # the findings are sound: shown, with the config's problem
    config = re.search(r'<section id="config">(.*?)</section>', page, re.S).group(1)
    assert "config.json could not be read" in config and reason in config
    assert "config.json" in capsys.readouterr().err


@pytest.mark.parametrize("depth", [200, 900, 960])
def test_deep_but_readable_config_is_shown_without_crashing(tmp_path, depth):
    """Near Python's recursion limit config.json may load and then be too deep to walk or to write."""
    runs = tmp_path / "runs"
    hostile = hostile_beta(runs, config={"seed": PLACEHOLDER, "lists": PLACEHOLDER + 1})
    replace_in(hostile / "config.json", str(PLACEHOLDER + 1), "[" * depth + "]" * depth)
    replace_in(hostile / "config.json", str(PLACEHOLDER), '{"a": ' * depth + "1" + "}" * depth)
    _, page = build(runs, tmp_path / "site")
    assert "The hostile run." in page and len(page) < 100_000  # deep values are shortened
    config = re.search(r'<section id="config">(.*?)</section>', page, re.S).group(1)
    if depth == 200 or "nested too deeply" not in config:  # how deep loads depends on the caller's stack
        assert "seed.a.a" in config and "lists" in config and "[[[" in config


def test_long_integer_in_config_is_shortened(tmp_path):
    runs = tmp_path / "runs"
    hostile = hostile_beta(runs, config={"seed": PLACEHOLDER})
    replace_in(hostile / "config.json", str(PLACEHOLDER), DIGITS_400)
    _, page = build(runs, tmp_path / "site")
    assert "401 digits" in page and DIGITS_400 not in page


@pytest.mark.parametrize("name", ["figures/a\u0000.png", "\u0000", "figures/\u0000/../../x.txt"])
def test_nul_byte_in_a_figure_path_refuses_that_figure(tmp_path, name):
    runs = tmp_path / "runs"
    hostile = hostile_beta(runs, figures={"figures/ok.png": png_bytes(4, 4, MAGENTA)})
    data = json.loads((hostile / "findings.json").read_text())
    data["figures"].append(name)
    (hostile / "findings.json").write_text(json.dumps(data))
    _, page = build(runs, tmp_path / "site")
    assert "The hostile run." in page and '<img src="beta/figures/ok.png"' in page
    refused = re.search(r'<figure class="figure figure-refused">(.*?)</figure>', page, re.S)
    assert refused and "NUL" in refused.group(1)


def test_a_run_the_pages_cannot_show_is_skipped_and_the_older_one_shown(tmp_path, monkeypatch):
    """Whatever the checks miss: an error while preparing one run's page skips that run only."""
    runs = tmp_path / "runs"
    good_beta(runs)
    hostile = hostile_beta(runs)
    read_config = report._read_config

    def failing(run_dir):
        if run_dir == hostile:
            raise RuntimeError("something nobody foresaw")
        return read_config(run_dir)

    monkeypatch.setattr(report, "_read_config", failing)
    index, page = build(runs, tmp_path / "site")
    assert "The good run." in page and "The hostile run." not in page
    assert str(hostile) in index and "something nobody foresaw" in index


def test_many_problems_give_a_short_reason(tmp_path):
    runs = tmp_path / "runs"
    hostile = hostile_beta(runs, metrics={f"m{i}": "not a number" for i in range(10_000)})
    index, _ = build(runs, tmp_path / "site")
    skipped = re.search(r'aria-label="skipped runs">(.*?)</section>', index, re.S).group(1)
    assert str(hostile) in skipped and "more" in skipped and len(skipped) < 5000


@pytest.mark.parametrize(
    "field, raw",
    [
        ("id", "[" * 900 + "]" * 900),
        ("verdict", "[" * 900 + "]" * 900),
        ("verdict", json.dumps("x" * 1_000_000)),
        ("statement", DIGITS_400),
        ("kind", "{" + '"a": {' * 900 + "}" * 901),
    ],
)
def test_claim_fields_of_any_shape_skip_only_their_run(tmp_path, field, raw):
    runs = tmp_path / "runs"
    good_beta(runs)
    hostile = write_run(
        runs / "hostile",
        "beta",
        [dict(claim("only", "holds", "The hostile run."), **{field: PLACEHOLDER})],
        finished="2026-06-01T00:00:00",
    )
    _metric(hostile, raw)
    index, page = build(runs, tmp_path / "site")
    assert "The good run." in page and "The hostile run." not in page
    skipped = re.search(r'aria-label="skipped runs">(.*?)</section>', index, re.S).group(1)
    assert str(hostile) in skipped and len(skipped) < 5000


def test_json_files_linked_from_outside_the_run_are_not_read(tmp_path):
    """Like a figure, config.json or findings.json may not bring in another file from the disk."""
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"config": {"api_token": "hunter2"}}))
    runs = tmp_path / "runs"
    hostile = hostile_beta(runs)
    (hostile / "config.json").unlink()
    (hostile / "config.json").symlink_to(secret)
    stolen = runs / "stolen"
    stolen.mkdir()
    (stolen / "findings.json").symlink_to(hostile / "findings.json")  # a valid findings.json elsewhere
    index, page = build(runs, tmp_path / "site")
    assert "hunter2" not in page and "The hostile run." in page
    assert "config.json is a link leading out of the run directory" in page
    assert str(stolen) in index and "findings.json is a link leading out" in index
