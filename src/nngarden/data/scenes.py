"""Generated scenes with templated captions: a 3x3 grid of cells holding k = 1..6 objects.

An image is 24x24 pixels in RGB, cut into nine 8x8 cells. Each object sits in its own cell and is
either a handwritten digit from scikit-learn's bundled 8x8 digits (``data/digits.py``: real images;
training scenes draw from the training split, test scenes from the held-out 20%) tinted in one colour,
or a drawn shape (circle, square, triangle) of a colour and a size (small: 5 px, large: 7 px, jittered
inside its cell). Every object keeps its box, the pixels it may cover, for the alignment check.

The caption names each object and its cell, objects in raster order of their cells (top row first,
left to right). Its grammar::

    caption := object ("," object)*
    object  := COLOUR DIGIT PLACE                       "red seven top left"
             | SIZE COLOUR SHAPE PLACE                  "large blue square bottom right"
    PLACE   := ROW COLUMN
    COLOUR  := red | green | blue | yellow
    DIGIT   := zero | one | two | three | four | five | six | seven | eight | nine
    SIZE    := small | large
    SHAPE   := circle | square | triangle
    ROW     := top | middle | bottom
    COLUMN  := left | centre | right

A decoder emits the words; the commas are punctuation that :func:`caption_text` puts between objects
(a column word always ends an object, so they carry no information). Token ids 0, 1, 2 are padding,
begin and end (as in ``nn/seq2seq.py``), then the words of ``VOCAB`` in order.

A scene is a function of (seed, split, k, index): the same key always draws the same scene, and the
training and test scenes of one seed come from disjoint digit images.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import torch

from ..config import ConfigError

CELL, GRID = 8, 3
SIZE = CELL * GRID  # pixels per side
MAX_OBJECTS = 6
COLOURS = {
    "red": (1.0, 0.2, 0.2),
    "green": (0.2, 0.85, 0.25),
    "blue": (0.25, 0.4, 1.0),
    "yellow": (0.95, 0.85, 0.1),
}
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SHAPES = ("circle", "square", "triangle")
SIZES = {"small": 5, "large": 7}  # side of the shape's square in pixels
ROWS = ("top", "middle", "bottom")
COLUMNS = ("left", "centre", "right")
SPECIALS = ("<pad>", "<s>", "</s>")
PAD, BOS, EOS = 0, 1, 2
VOCAB = SPECIALS + tuple(COLOURS) + DIGITS + SHAPES + tuple(SIZES) + ROWS + COLUMNS
WORD_ID = {w: i for i, w in enumerate(VOCAB)}
SPLITS = {"train": 0, "test": 1}


@dataclass(frozen=True)
class SceneObject:
    kind: str  # "digit" or "shape"
    cell: int  # 0..8 in raster order
    colour: str
    label: str  # the class word: a digit's name or a shape
    size: str = ""  # shapes only
    image: int = -1  # digits only: index into the split's digit images
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right (pixels; bottom/right excluded)

    def words(self) -> list[str]:
        place = [ROWS[self.cell // GRID], COLUMNS[self.cell % GRID]]
        if self.kind == "digit":
            return [self.colour, self.label, *place]
        return [self.size, self.colour, self.label, *place]

    def corner(self) -> tuple[int, int]:
        """The top-left pixel of the object's cell."""
        return (self.cell // GRID) * CELL, (self.cell % GRID) * CELL


@dataclass(frozen=True)
class Scene:
    objects: tuple[SceneObject, ...]  # in raster order of their cells
    image: np.ndarray = field(compare=False)  # (3, SIZE, SIZE) float32 in [0, 1], drawn from the objects

    def words(self) -> list[str]:
        return [w for obj in self.objects for w in obj.words()]

    def text(self) -> str:
        return caption_text(self.words())


def caption_text(words: list[str]) -> str:
    """Words -> the caption as written: a comma after every column word that is not the last word."""
    out = []
    for i, word in enumerate(words):
        out.append(word + ("," if word in COLUMNS and i < len(words) - 1 else ""))
    return " ".join(out)


_PATTERNS = (
    (tuple(COLOURS), DIGITS, ROWS, COLUMNS),
    (tuple(SIZES), tuple(COLOURS), SHAPES, ROWS, COLUMNS),
)


def parse_spans(words: list[str]) -> list[tuple[int, tuple[str, ...]]]:
    """The objects a word sequence describes, each as (index of its first word, its words), read by the
    grammar. Words that do not fit are skipped until an object can start again, so a partly wrong
    caption still yields the objects it does describe."""
    spans, i = [], 0
    while i < len(words):
        for pattern in _PATTERNS:
            chunk = tuple(words[i : i + len(pattern)])
            if len(chunk) == len(pattern) and all(w in allowed for w, allowed in zip(chunk, pattern)):
                spans.append((i, chunk))
                i += len(pattern)
                break
        else:
            i += 1
    return spans


def parse_objects(words: list[str]) -> list[tuple[str, ...]]:
    """The objects a word sequence describes, each a tuple of its words (see :func:`parse_spans`)."""
    return [chunk for _, chunk in parse_spans(words)]


def naming_words(chunk: tuple[str, ...]) -> tuple[int, int]:
    """Offsets of the colour word and the class word inside one object's words."""
    return (0, 1) if len(chunk) == 4 else (1, 2)


def objects_found(predicted: list[str], reference: list[str]) -> int:
    """How many of the reference's objects the predicted words describe exactly (a multiset match)."""
    found = Counter(parse_objects(predicted)) & Counter(parse_objects(reference))
    return sum(found.values())


@functools.cache
def shape_mask(shape: str, size: str) -> np.ndarray:
    """(s, s) boolean mask of a filled circle, square or upward triangle, s the size's side."""
    s = SIZES[size]
    y, x = np.mgrid[0:s, 0:s] + 0.5  # pixel centres
    c = s / 2
    if shape == "circle":
        return (y - c) ** 2 + (x - c) ** 2 <= c**2
    if shape == "square":
        return np.ones((s, s), dtype=bool)
    if shape == "triangle":
        return np.abs(x - c) <= y / 2 + 0.01  # one pixel wide at the top, s wide at the bottom
    raise ConfigError(f"shape: got {shape!r}, allowed: {', '.join(SHAPES)}")


_COLOUR_NAMES, _SIZE_NAMES = tuple(COLOURS), tuple(SIZES)
_RGB = {name: np.asarray(rgb, dtype=np.float32) for name, rgb in COLOURS.items()}


def _tight_box(pixels: np.ndarray) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of the non-zero pixels, bottom and right excluded."""
    rows, cols = np.nonzero(pixels)
    return int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1


@functools.cache
def shape_patch(shape: str, size: str, dy: int, dx: int) -> np.ndarray:
    """An 8x8 cell holding the shape's mask with its top-left corner at (dy, dx)."""
    mask = shape_mask(shape, size)
    patch = np.zeros((CELL, CELL), dtype=np.float32)
    patch[dy : dy + mask.shape[0], dx : dx + mask.shape[1]] = mask
    return patch


@functools.lru_cache(maxsize=4)
def digit_images(split_seed: int, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The digit images (N, 8, 8) in [0, 1] and labels (N,) of one split of ``load_digits_split``."""
    from .digits import load_digits_split

    digits = load_digits_split(seed=split_seed)
    x, y = (digits.x_train, digits.y_train) if split == "train" else (digits.x_test, digits.y_test)
    return x[:, 0].numpy(), y.numpy()


class Scenes:
    """The scenes of one seed and split: ``scene(index, k)``, ``batch(indices, k)``.

    ``p_digit`` is the chance that an object is a digit rather than a shape.
    """

    def __init__(self, seed: int, split: str = "train", p_digit: float = 0.5, memo: int = 0):
        if split not in SPLITS:
            raise ConfigError(f"split: got {split!r}, allowed: {', '.join(SPLITS)}")
        self.seed, self.split, self.p_digit = seed, split, p_digit
        self.images, self.labels = digit_images(seed, split)
        self.boxes = [_tight_box(pixels) for pixels in self.images]
        self.memo_size, self._memo = memo, {}  # up to ``memo`` described scenes kept for the next reader

    def scene(self, index: int, k: int) -> Scene:
        return self.scenes([index], k)[0]

    def describe(self, index: int, k: int) -> tuple[SceneObject, ...]:
        """The objects of scene (seed, split, k, index), drawn from one set of uniforms."""
        if (index, k) in self._memo:
            return self._memo[index, k]
        if not 1 <= k <= GRID * GRID:
            raise ConfigError(f"k: got {k}, must be 1..{GRID * GRID}")
        rng = np.random.default_rng([self.seed, SPLITS[self.split], k, index])
        cells = np.sort(np.argsort(rng.random(GRID * GRID))[:k])
        objects = tuple(self._object(int(cell), u) for cell, u in zip(cells, rng.random((k, 6))))
        if len(self._memo) < self.memo_size:
            self._memo[index, k] = objects
        return objects

    def _object(self, cell: int, u: np.ndarray) -> SceneObject:
        """One object at ``cell`` from six uniforms ``u``: kind, colour, image or shape, size, offset."""
        top, left = (cell // GRID) * CELL, (cell % GRID) * CELL
        colour = _COLOUR_NAMES[int(u[1] * len(COLOURS))]
        if u[0] < self.p_digit:
            index = int(u[2] * len(self.images))
            r0, c0, r1, c1 = self.boxes[index]
            label = DIGITS[int(self.labels[index])]
            box = (top + r0, left + c0, top + r1, left + c1)
            return SceneObject("digit", cell, colour, label, image=index, box=box)
        shape, size = SHAPES[int(u[2] * len(SHAPES))], _SIZE_NAMES[int(u[3] * len(SIZES))]
        free = CELL - SIZES[size] + 1  # positions of the shape's square inside its cell, per axis
        y0, x0 = top + int(u[4] * free), left + int(u[5] * free)
        box = (y0, x0, y0 + SIZES[size], x0 + SIZES[size])
        return SceneObject("shape", cell, colour, shape, size=size, box=box)

    def _patch(self, obj: SceneObject) -> np.ndarray:
        """The object's 8x8 intensities in its cell (a digit image, or a shape's mask at its offset)."""
        if obj.kind == "digit":
            return self.images[obj.image]
        top, left = obj.corner()
        return shape_patch(obj.label, obj.size, obj.box[0] - top, obj.box[1] - left)

    def render(self, scenes_objects: list[tuple[SceneObject, ...]]) -> np.ndarray:
        """Images (B, 3, SIZE, SIZE) of the scenes' objects, each 8x8 patch tinted and put in its cell."""
        images = np.zeros((len(scenes_objects), 3, GRID, CELL, GRID, CELL), dtype=np.float32)
        flat = [(b, obj) for b, objects in enumerate(scenes_objects) for obj in objects]
        rows = np.array([b for b, _ in flat])
        cell = np.array([obj.cell for _, obj in flat])
        patches = np.stack([self._patch(obj) for _, obj in flat])  # (N, 8, 8)
        rgb = np.stack([_RGB[obj.colour] for _, obj in flat])  # (N, 3)
        # advanced indices on (batch, cell row, cell column), split by slices: the result is (N, 3, 8, 8)
        images[rows, :, cell // GRID, :, cell % GRID, :] = rgb[:, :, None, None] * patches[:, None]
        return images.reshape(len(scenes_objects), 3, SIZE, SIZE)

    def scenes(self, indices, k) -> list[Scene]:
        """The scenes ``indices``, each with ``k`` objects (one count for all, or one per index)."""
        counts = [k] * len(indices) if isinstance(k, int) else list(k)
        described = [self.describe(int(i), int(n)) for i, n in zip(indices, counts)]
        return [Scene(objects, image) for objects, image in zip(described, self.render(described))]

    def batch(self, indices, k):
        """Scenes ``indices`` with ``k`` objects (one count, or one per index) -> (images (B, 3, 24, 24),
        tgt_in (B, T), tgt_out (B, T), scenes), the captions as teacher-forcing pairs (BOS + words,
        words + EOS) padded with PAD."""
        scenes = self.scenes(indices, k)
        images = torch.from_numpy(np.stack([s.image for s in scenes]))
        tgt_in, tgt_out = caption_tensors([s.words() for s in scenes])
        return images, tgt_in, tgt_out, scenes


def encode(words: list[str]) -> list[int]:
    return [WORD_ID[w] for w in words]


def decode(ids: list[int]) -> list[str]:
    """Ids -> words, stopping at EOS and dropping PAD and BOS."""
    out = []
    for i in ids:
        if i == EOS:
            break
        if i > EOS:
            out.append(VOCAB[i])
    return out


def caption_tensors(captions: list[list[str]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Word lists -> (BOS + ids, ids + EOS), each (B, T) padded with PAD."""
    width = max(len(c) for c in captions) + 1
    ids = [encode(caption) for caption in captions]
    tgt_in = [[BOS] + row + [PAD] * (width - 1 - len(row)) for row in ids]
    tgt_out = [row + [EOS] + [PAD] * (width - 1 - len(row)) for row in ids]
    return torch.tensor(tgt_in), torch.tensor(tgt_out)
