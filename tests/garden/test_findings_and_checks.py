"""The garden leads with findings, keeps checks apart, shows intervals and flags revised criteria."""

from nngarden.garden.report import build_garden

from .conftest import fake_notes, write_run


def _claim(cid, verdict, kind=None, evidence=None, revised=None):
    claim = {"id": cid, "statement": f"{cid} statement", "verdict": verdict,
             "evidence": evidence or {"x": 1.0}, "criterion": f"{cid} criterion"}  # fmt: skip
    if kind is not None:
        claim["kind"] = kind
    if revised is not None:
        claim["revised"] = revised
    return claim


def test_findings_lead_checks_sit_apart_and_only_findings_are_counted(tmp_path):
    runs = tmp_path / "runs"
    evidence = {"gap": 0.46, "gap_low": 0.44, "gap_high": 0.48, "n_seeds": 3}
    write_run(runs / "alpha" / "r1", "alpha", [
        _claim("first", "holds", "finding", evidence, revised="2026-11-30: margin became a test"),
        _claim("second", "fails", "check"),
    ])  # fmt: skip
    write_run(runs / "beta" / "r1", "beta", [_claim("only", "holds")])  # an older file: no kind
    site = build_garden(runs, tmp_path / "site", fake_notes()).parent
    page = (site / "notes" / "alpha.html").read_text()
    findings, checks = page.index('id="claims"'), page.index('id="checks"')
    assert findings < page.index("claim-first") < checks < page.index("claim-second")
    assert "Implementation checks" in page and "0.46 [0.44, 0.48], n = 3" in page
    assert "Criterion revised after results were seen: 2026-11-30: margin became a test" in page
    index = (site / "index.html").read_text()
    totals = index[index.index('class="totals"') :].split("</p>")[0]
    assert "findings:" in totals and "2 holds" in totals  # alpha's finding and beta's unclassified claim
    assert "implementation checks:" in totals and "1 fails" in totals
    beta = (site / "notes" / "beta.html").read_text()
    assert "unclassified" in beta and 'id="checks"' not in beta
