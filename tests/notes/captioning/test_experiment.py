"""The captioning stages at tiny sizes: training through fit(), per-item results, alignment, BLEU probe."""

import dataclasses

import numpy as np
import pytest
import torch

from nngarden.data import scenes as sc
from nngarden.notes.captioning import experiment as ex
from nngarden.notes.captioning.config import CaptioningConfig
from nngarden.runs import RunContext
from nngarden.train.fit import record_fits

TINY = CaptioningConfig.tiny()


def test_every_shape_stage_trains_through_fit_and_scores_held_out_items(tmp_path):
    ctx = RunContext(tmp_path)
    fits = []
    with record_fits(lambda model, batch, device: fits.append(device)):
        results = {task: stage(ctx, TINY, 0) for task, stage in ex.SHAPE_STAGES.items()}
    assert len(fits) == 4 + 3 * TINY.number_repeats  # one speller per fold
    assert len(results["one-to-one"]["correct"]) == 360  # the held-out 20% of the 1,797 digits
    assert sorted(results["one-to-many"]["numbers"]) == sorted(n for n in range(21, 100) if n % 10)
    for task in ("many-to-one", "many-to-many-out-of-step", "many-to-many-in-step"):
        assert len(results[task]["correct"]) == TINY.n_sequences
    assert results["many-to-many-in-step"]["check"]["max_change_before"] == 0.0
    check = results["many-to-many-out-of-step"]["check"]
    assert check["lengths_ok"] and check["first_output_change"] > 0
    assert {row["run"] for row in ctx.metrics()} >= {"one-to-one", "many-to-many-in-step", "one-to-many-0-2"}


def test_a_captioner_stage_scores_every_k_and_the_attention_one_its_alignment(tmp_path):
    ctx = RunContext(tmp_path)
    out = ex.captioner_stage(ctx, TINY, 0, "attention", TINY.width)
    assert sorted(out["by_k"], key=int) == [str(k) for k in range(1, TINY.max_objects + 1)]
    for k, scores in out["by_k"].items():
        assert len(scores["exact"]) == len(scores["bleu"]) == len(scores["beam_exact"]) == TINY.n_test
        assert all(0 <= f <= int(k) for f in scores["found"])
    assert len(out["align"]["hits"]) == TINY.max_objects * TINY.n_test
    assert len(out["examples"]) == TINY.n_examples and len(out["examples"][0]["image"]) == 3
    vector = ex.captioner_stage(ctx, TINY, 0, "vector", TINY.width)
    assert "align" not in vector and vector["params"] > 0


def test_alignment_counts_a_peak_on_the_named_objects_cell():
    scene = sc.Scenes(0, "test").scene(0, 3)
    words = scene.words()
    oracle = torch.zeros(len(words), 9)
    position = 0
    for obj in scene.objects:
        oracle[position : position + len(obj.words()), obj.cell] = 1.0  # every word looks at its object
        position += len(obj.words())
    hits, counts = ex._alignment([words], oracle[None], [scene])
    assert hits == counts == [2 * len(scene.objects)]
    elsewhere = torch.roll(oracle, 1, dims=1)  # every peak one cell over
    assert ex._alignment([words], elsewhere[None], [scene]) == ([0], [2 * len(scene.objects)])
    first = scene.objects[0]
    wrong = list(words)  # the first object in another colour: it is no longer named right
    wrong[wrong.index(first.colour)] = next(c for c in sc.COLOURS if c != first.colour)
    assert ex._alignment([wrong], oracle[None], [scene]) == (
        [2 * len(scene.objects) - 2],
        [2 * len(scene.objects) - 2],
    )


def test_swapping_two_colours_keeps_most_of_bleu_but_changes_the_caption():
    objects = sc.Scenes(0, "test").describe(3, 5)
    swapped = ex.swap_two_colours(objects)
    truth = [w for obj in objects for w in obj.words()]
    assert swapped != truth and sorted(swapped) == sorted(truth)
    assert 0.5 < ex._bleu(swapped, truth) < 0.99 and ex._bleu(truth, truth) == pytest.approx(1.0)
    same = [dataclasses.replace(obj, colour="red") for obj in objects]
    assert ex.swap_two_colours(same) is None
    probe = ex.bleu_swap_stage(dataclasses.replace(TINY, n_test=20), 0)
    assert sorted(probe) == ["2", "3", "4", "5"] and len(probe["5"]["ratios"]) + probe["5"]["skipped"] == 20
    assert np.all(np.array(probe["5"]["differs"]) == 1)
