"""Generated scenes: captions name the objects drawn, boxes hold their pixels, test digits stay held out."""

import numpy as np
import pytest
import torch

from nngarden.config import ConfigError
from nngarden.data import scenes as sc
from nngarden.data.digits import load_digits_split


def _scenes(seed=0, split="train", n=40):
    generator = sc.Scenes(seed, split)
    return generator, [generator.scene(i, k) for k in range(1, sc.MAX_OBJECTS + 1) for i in range(n)]


def test_captions_name_the_objects_drawn_in_raster_order():
    generator, scenes = _scenes()
    digits = load_digits_split(seed=0)
    for scene in scenes:
        cells = [obj.cell for obj in scene.objects]
        assert cells == sorted(set(cells))  # one object per cell, raster order
        assert sc.parse_objects(scene.words()) == [tuple(obj.words()) for obj in scene.objects]
        for obj in scene.objects:
            top, left = obj.corner()
            cell = scene.image[:, top : top + sc.CELL, left : left + sc.CELL]
            rgb = np.asarray(sc.COLOURS[obj.colour], dtype=np.float32)
            # the cell holds the object's intensities times its colour
            intensity = cell.max(axis=0) / rgb.max()
            np.testing.assert_allclose(cell, rgb[:, None, None] * intensity[None], atol=1e-6)
            if obj.kind == "digit":
                np.testing.assert_allclose(intensity, digits.x_train[obj.image, 0].numpy(), atol=1e-6)
                assert sc.DIGITS[int(digits.y_train[obj.image])] == obj.label
            else:
                r0, c0, r1, c1 = obj.box
                mask = sc.shape_mask(obj.label, obj.size)
                np.testing.assert_array_equal(intensity[r0 - top : r1 - top, c0 - left : c1 - left] > 0, mask)


def test_boxes_hold_every_drawn_pixel_inside_their_cell_and_are_tight():
    _, scenes = _scenes(seed=1, split="test")
    for scene in scenes:
        outside = np.ones((sc.SIZE, sc.SIZE), dtype=bool)
        for obj in scene.objects:
            r0, c0, r1, c1 = obj.box
            top, left = obj.corner()
            assert top <= r0 < r1 <= top + sc.CELL and left <= c0 < c1 <= left + sc.CELL
            inside = scene.image[:, r0:r1, c0:c1].max(axis=0) > 0
            assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()
            outside[r0:r1, c0:c1] = False
        assert not scene.image[:, outside].any()


def test_test_scenes_use_only_held_out_digits():
    train_images = {img.tobytes() for img in sc.digit_images(0, "train")[0]}
    generator, scenes = _scenes(split="test")
    used = [generator.images[obj.image] for s in scenes for obj in s.objects if obj.kind == "digit"]
    assert len(used) > 50
    assert not any(img.tobytes() in train_images for img in used)
    test_images = {img.tobytes() for img in generator.images}
    assert len(train_images & test_images) == 0  # no held-out image has a pixel-identical twin in training


def test_a_scene_is_a_function_of_its_key_and_batches_are_teacher_forcing_pairs():
    a, b = sc.Scenes(3, "train"), sc.Scenes(3, "train")
    assert a.scene(7, 4) == b.scene(7, 4) and np.array_equal(a.scene(7, 4).image, b.scene(7, 4).image)
    assert a.scene(7, 4).objects != a.scene(8, 4).objects
    assert a.scene(7, 4).objects != sc.Scenes(3, "test").scene(7, 4).objects
    images, tgt_in, tgt_out, scenes = a.batch(range(5), 3)
    assert images.shape == (5, 3, 24, 24) and images.dtype == torch.float32
    for row_in, row_out, scene in zip(tgt_in.tolist(), tgt_out.tolist(), scenes):
        assert row_in[0] == sc.BOS and sc.decode(row_in[1:]) == scene.words()
        assert sc.decode(row_out) == scene.words()
        assert row_out[len(scene.words())] == sc.EOS
    with pytest.raises(ConfigError, match="k"):
        a.scene(0, 10)
    with pytest.raises(ConfigError, match="split"):
        sc.Scenes(0, "validation")


def test_caption_text_parsing_and_object_matching():
    words = "red seven top left large blue square bottom right".split()
    assert sc.caption_text(words) == "red seven top left, large blue square bottom right"
    assert sc.parse_spans(["junk"] + words) == [
        (1, ("red", "seven", "top", "left")),
        (5, ("large", "blue", "square", "bottom", "right")),
    ]
    assert sc.naming_words(("red", "seven", "top", "left")) == (0, 1)
    assert sc.naming_words(("large", "blue", "square", "bottom", "right")) == (1, 2)
    wrong = "red seven top left large green square bottom right".split()
    assert sc.objects_found(wrong, words) == 1 and sc.objects_found(words, words) == 2
    assert sc.objects_found(words + words, words) == 2  # repeating an object does not count twice
