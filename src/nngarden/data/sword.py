"""Optional real translation pairs: English (KJV) and Spanish (Reina-Valera 1909) verses, aligned.

Debian ships both Bibles as SWORD modules (packages ``sword-text-kjv``, ``sword-text-sparv``, public
domain) and the ``mod2imp`` tool (``libsword-utils``) that exports a module as plain "imp" text:

    $$$Genesis 1:1
    In the <w lemma="strong:H7225">beginning</w> God created ...

Both modules use the KJV versification, so verses align by their key. Nothing is downloaded: when the
tool or a module is missing, :func:`sword_status` says what to install and the caller skips.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ENGLISH, SPANISH = "engKJV2006eb", "spaRV1909eb"
INSTALL_HINT = "apt-get install libsword-utils sword-text-kjv sword-text-sparv"
_VERSE_KEY = re.compile(r"^(?P<book>.+) (?P<chapter>\d+):(?P<verse>\d+)$")
_NOTE = re.compile(r"<note\b.*?</note>", re.S)  # footnotes are not part of the verse
_TAG = re.compile(r"<[^>]+>")


@dataclass
class VersePair:
    key: str
    source: str
    target: str


def clean_osis(text: str) -> str:
    """Verse text without footnotes, markup or entities, whitespace collapsed."""
    text = _TAG.sub("", _NOTE.sub(" ", text))  # tags wrap words; notes sit between them
    return " ".join(html.unescape(text).replace("\u00b6", " ").split())  # ¶ marks a paragraph, not a word


def parse_imp(text: str) -> dict[str, str]:
    """imp text -> {"Genesis 1:1": clean verse}; headings (verse 0, module/testament headers) dropped."""
    verses: dict[str, str] = {}
    key, lines = None, []

    def flush():
        if key is not None:
            m = _VERSE_KEY.match(key)
            if m and int(m["verse"]) > 0:
                verse = clean_osis("\n".join(lines))
                if verse:
                    verses[key] = verse

    for line in text.splitlines():
        if line.startswith("$$$"):
            flush()
            key, lines = line[3:].strip(), []
        else:
            lines.append(line)
    flush()
    return verses


def sword_status(modules=(ENGLISH, SPANISH), mod2imp: str = "mod2imp") -> tuple[bool, str]:
    """(available, reason). Available when ``mod2imp`` runs and exports a verse of every module."""
    if shutil.which(mod2imp) is None:
        return False, f"the SWORD corpus is not installed ({mod2imp} not found; {INSTALL_HINT})"
    for name in modules:
        try:
            verses = load_module(name, mod2imp)
        except (OSError, subprocess.SubprocessError, RuntimeError) as err:
            return False, f"SWORD module {name} could not be read ({err}; {INSTALL_HINT})"
        if not verses:
            return False, f"SWORD module {name} has no verses ({INSTALL_HINT})"
    return True, "SWORD modules " + ", ".join(modules) + " found"


def load_module(name: str, mod2imp: str = "mod2imp", timeout: float = 300.0) -> dict[str, str]:
    """Export one module through ``mod2imp`` and parse it."""
    out = subprocess.run([mod2imp, name], capture_output=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(
            f"{mod2imp} {name} exited with {out.returncode}: {out.stderr.decode(errors='replace')[:200]}"
        )
    return parse_imp(out.stdout.decode("utf-8", errors="replace"))


def align(source: dict[str, str], target: dict[str, str]) -> list[VersePair]:
    """Verses present in both, in the source's order."""
    return [VersePair(k, v, target[k]) for k, v in source.items() if k in target]


def verse_pairs(
    source: str = ENGLISH, target: str = SPANISH, mod2imp: str = "mod2imp", cache: Path | None = None
) -> list[VersePair]:
    """Aligned verse pairs (about 31k for KJV and RV1909). ``cache``: a JSON file reused when present."""
    import json

    if cache is not None and Path(cache).exists():
        return [VersePair(*row) for row in json.loads(Path(cache).read_text())]
    pairs = align(load_module(source, mod2imp), load_module(target, mod2imp))
    if cache is not None:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        Path(cache).write_text(json.dumps([[p.key, p.source, p.target] for p in pairs], ensure_ascii=False))
    return pairs


_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-cased words and punctuation marks as separate tokens."""
    return _WORD.findall(text.lower())
