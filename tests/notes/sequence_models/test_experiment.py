"""The sequence-models pieces: the intervals, matched models, TCN shapes, the gradient ratio and the
receptive-field check, timing, and a tiny run judged again from its cached stages."""

import json
import math

import numpy as np
import pytest
import torch
from scipy import stats as scipy_stats

from nngarden.data.long_range import copy_memory_batch
from nngarden.notes.sequence_models import NOTE
from nngarden.notes.sequence_models import experiment as ex
from nngarden.notes.sequence_models.claims import fitted_slope, t_interval, wilson_interval
from nngarden.notes.sequence_models.config import SequenceModelsConfig
from nngarden.runs import rejudge_run, run_note
from nngarden.train import fit as fit_module


def test_a_known_t_interval_over_three_seeds():
    mean, low, high, df = t_interval([1.0, 2.0, 3.0])  # sd 1, t(0.975, 2) = 4.3027
    assert (mean, df) == (2.0, 2)
    assert high - mean == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6) and mean - low == high - mean


def test_a_known_wilson_interval_and_its_exact_ends():
    p, low, high = wilson_interval(8, 10)
    assert p == 0.8 and low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson_interval(0, 50)[1] == 0.0 and wilson_interval(50, 50)[2] == 1.0


def test_the_slope_interval_is_the_regression_standard_error_times_t_with_n_minus_2_df():
    x = np.log([64, 128, 256, 512, 1024])
    y = 1.5 * x + np.array([0.01, -0.02, 0.015, 0.0, -0.01])
    slope, low, high, df = fitted_slope(x, y)
    fit = scipy_stats.linregress(x, y)
    half = scipy_stats.t.ppf(0.975, 3) * fit.stderr
    assert df == 3 and slope == pytest.approx(fit.slope) and high - slope == pytest.approx(half)
    assert fitted_slope(x, 2 * x + 1)[1:3] == pytest.approx((2.0, 2.0))  # an exact line: no width


@pytest.mark.parametrize("T", [50, 100, 500])
def test_tcn_shapes_land_on_the_asked_side_of_the_recall_distance(T):
    for ratio in (0.5, 0.9, 1.3, 2.0):
        kernel, levels = ex.tcn_shape(T, ratio, max_kernel=8)
        r = ex.receptive_field(kernel, levels)
        assert (r >= T + 11) == (ratio >= 1) and abs(math.log(r / (ratio * (T + 11)))) < 0.25


def test_models_are_matched_in_parameters():
    cfg = SequenceModelsConfig.quick()
    counts = {}
    for spec in ex.model_specs(cfg, 100):
        model, width = ex.build_spec(cfg, spec, 0)
        counts[spec["name"]] = ex.parameter_count(model)
        if spec["kind"] == "tcn":
            assert model.receptive_field() == spec["receptive_field"]
    assert all(abs(c - cfg.params) / cfg.params < 0.06 for c in counts.values()), counts


def test_the_gradient_ratio_is_one_at_lag_zero_and_exactly_zero_beyond_a_tcn_field():
    cfg = SequenceModelsConfig.tiny()
    model, _ = ex.build_spec(cfg, {"kind": "tcn", "kernel": 2, "levels": 2}, 0)  # R = 7
    ids = torch.randint(10, (2, 20), generator=torch.Generator().manual_seed(0))
    profile = np.array(ex.ratio_profile(model, ids, 19))  # (2, 20): D = 0..19
    assert profile.shape == (2, 20) and np.allclose(profile[:, 0], 1.0)
    assert (profile[:, 7:] == 0).all() and (profile[:, 6] > 0).all()


def test_the_field_check_sees_no_gradient_beyond_the_field_and_none_from_an_unseen_symbol():
    cfg = SequenceModelsConfig.tiny()
    T = 12
    model, _ = ex.build_spec(cfg, {"kind": "tcn", "kernel": 2, "levels": 3}, 0)  # R = 15 < T + 11
    ids, _ = copy_memory_batch(4, T, 0, 0)
    check = ex.field_check(model, ids, T, model.receptive_field())
    assert check["max_beyond"] == 0.0 and check["max_own_symbol"] == 0.0 and check["min_inside_sum"] > 0
    wide, _ = ex.build_spec(cfg, {"kind": "tcn", "kernel": 2, "levels": 4}, 0)  # R = 31 covers T + 11
    assert ex.field_check(wide, ids, T, wide.receptive_field())["max_own_symbol"] > 0


def test_timing_counts_steps_from_the_structure_and_restores_the_thread_count():
    cfg = SequenceModelsConfig.tiny()
    threads = torch.get_num_threads()
    covering = ex.covering_shape(cfg)
    timing = ex.timing_stage(cfg, covering, "cpu", 1)
    assert torch.get_num_threads() == threads
    assert timing["models"]["lstm"]["sequential_steps"] == list(cfg.timing_lengths)
    assert timing["models"]["attention"]["sequential_steps"] == [cfg.attention_layers] * len(
        cfg.timing_lengths
    )
    assert timing["models"]["tcn"]["sequential_steps"] == [covering["levels"]] * len(cfg.timing_lengths)
    for entry in timing["models"].values():
        assert all(t > 0 for t in entry["forward"] + entry["train"])


def test_a_tiny_run_is_rejudged_from_its_stages_without_training(tmp_path, monkeypatch):
    data, _ = run_note(NOTE, SequenceModelsConfig.tiny(), tmp_path / "run", preset="tiny")
    stages = {p.stem for p in (tmp_path / "run" / "stages").glob("*.json")}
    assert {"path-length-init", "timing-cpu-1", "copy-T8-lstm", "copy-T8-tcn-rf0.5"} <= stages
    assert data["claims"][-1]["verdict"] == "holds"  # the receptive-field check cannot fail without a bug

    def no_training(*args, **kwargs):
        raise AssertionError("rejudge must not train")

    monkeypatch.setattr(fit_module, "fit", no_training)
    monkeypatch.setattr(ex, "fit", no_training)
    again = rejudge_run(NOTE, tmp_path / "run")
    assert [c["verdict"] for c in again["claims"]] == [c["verdict"] for c in data["claims"]]
    assert json.loads((tmp_path / "run" / "findings.json").read_text())["claims"] == again["claims"]
