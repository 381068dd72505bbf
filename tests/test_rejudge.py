"""``nngarden rejudge``: verdicts and figures recomputed from cached stages, never by training."""

import json

import pytest

from nngarden import cli, notes
from nngarden.config import ConfigError
from nngarden.runs import rejudge_run, run_note
from nngarden.train import fit as fit_module

from .notes.example_note import NOTE as EXAMPLE
from .notes.example_note import experiment as example_experiment
from .notes.example_note.config import ExampleConfig


@pytest.fixture
def example(monkeypatch):
    monkeypatch.setattr(notes, "_REGISTRY", {"example": EXAMPLE})
    return EXAMPLE


def test_a_note_package_runs_measure_judge_draw_with_kinds_and_thresholds(example, tmp_path):
    data, reused = run_note(example, ExampleConfig.tiny(), tmp_path / "run", preset="tiny")
    assert not reused
    slope, seeds = data["claims"]
    assert (
        slope["verdict"] == "holds"
        and slope["kind"] == "finding"
        and slope["thresholds"] == {"max_error": 0.05}
    )
    assert slope["criterion"].startswith("|fitted slope - true slope| < 0.05 for every one of 1 seeds")
    assert seeds["verdict"] == "inconclusive" and "fewer than 3 seeds" in seeds["criterion"]
    assert data["figures"] == ["figures/slopes.png"] and "mean_slope" in data["metrics"]
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert rows and {"step", "train_loss", "lr", "train_cpu_seconds", "wall_seconds"} <= set(rows[0])


def test_rejudge_trains_nothing_rewrites_findings_and_figures_and_records_the_judge(
    example, tmp_path, monkeypatch, capsys
):
    run_dir = tmp_path / "run"
    run_note(example, ExampleConfig.tiny(), run_dir, preset="tiny")
    before = json.loads((run_dir / "findings.json").read_text())
    metrics_before = (run_dir / "metrics.jsonl").read_text()
    (run_dir / "figures" / "slopes.png").write_bytes(b"stale")

    def no_training(*args, **kwargs):
        raise AssertionError("rejudge must not train")

    monkeypatch.setattr(fit_module, "fit", no_training)
    monkeypatch.setattr(example_experiment, "fit", no_training)
    assert cli.main(["rejudge", str(run_dir)]) == 0
    after = json.loads((run_dir / "findings.json").read_text())
    assert [c["verdict"] for c in after["claims"]] == [c["verdict"] for c in before["claims"]]
    assert (
        after["provenance"]["judged"]["commit"]
        and after["provenance"]["seconds"] == before["provenance"]["seconds"]
    )
    assert (run_dir / "figures" / "slopes.png").read_bytes()[:4] == b"\x89PNG"
    assert (run_dir / "metrics.jsonl").read_text() == metrics_before
    assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith(".")) == []
    assert "rejudged" in capsys.readouterr().out


def test_rejudge_refuses_a_folder_without_cached_stages_in_one_line(example, tmp_path, capsys):
    assert cli.main(["rejudge", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a note's run directory" in err
    run_dir = tmp_path / "run"
    run_note(example, ExampleConfig.tiny(), run_dir, preset="tiny")
    for stage in (run_dir / "stages").iterdir():
        stage.unlink()
    with pytest.raises(ConfigError, match="no cached stages"):
        rejudge_run(example, run_dir)


def test_rejudge_with_a_stage_missing_keeps_the_old_findings(example, tmp_path, capsys):
    run_dir = tmp_path / "run"
    run_note(example, ExampleConfig(steps=50, seeds=2), run_dir, preset="quick")
    (run_dir / "stages" / "fit-seed1.json").unlink()
    before = (run_dir / "findings.json").read_text()
    assert cli.main(["rejudge", str(run_dir)]) == 2
    assert "no cached stage 'fit-seed1'" in capsys.readouterr().err
    assert (run_dir / "findings.json").read_text() == before
    assert (run_dir / "figures" / "slopes.png").exists()
