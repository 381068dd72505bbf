"""Generated English with gold dependency trees, and sentences that fix the sense of ambiguous words.

No treebank installs offline, so sentences come from a hand-written grammar over a few hundred real
words, each with its dependency tree. The grammar (heads after the arrow; words in brackets optional):

    S     -> NP_subj VP                         NP_subj -> the verb's subject (nsubj)
    NP    -> Det [Adj] Noun [RC | PP_noun]      Det, Adj -> the noun;  RC, PP_noun -> the noun
    RC    -> "that" NP_subj V_trans             "that" -> the clause's verb (it is its object);
                                                the clause's verb -> the modified noun (acl:relcl)
    VP    -> V_intr [Adv] [PP_verb]             the main verb is the root; Adv -> the verb
           | V_trans NP_obj [PP_verb]           NP_obj -> the verb (obj)
    PP    -> Prep NP                            the preposition -> its noun (case, as in Universal
                                                Dependencies); the noun -> what the PP modifies

Agreement: a present-tense verb agrees in number with its subject ("the dog that the children see
barks"), so a relative clause puts the subject and its verb far apart: linear distance misleads.

Every attachment is decided by the words, so a perfect parser scores UUAS 1: "with" + an instrument
("with a spoon") modifies the verb; "with" + a companion or a part ("with the carrots", "with a red
roof") modifies the noun before it; "in/near/behind" + a place modifies the verb.

Word senses: for each ambiguous word (bank, bat, bass, crane, pitcher, seal) and each of its two
senses, sentence frames and cue words fix the sense; frames and cue words are split between training
and test, so a test sentence shares no cue word with any training sentence (240 uses per split).

Everything is a pure function of a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DETERMINERS = ("the", "a", "this", "every")
PLURAL_DETERMINERS = ("the", "some", "these", "many")
ADJECTIVES = (
    "old", "young", "small", "large", "quiet", "loud", "happy", "tired", "clever", "brave", "gentle",
    "hungry", "busy", "careful", "strange", "famous", "lonely", "proud", "curious", "angry",
)  # fmt: skip
# (singular, plural) nouns that can act: subjects and objects of the verbs below
AGENTS = (
    ("dog", "dogs"), ("cat", "cats"), ("farmer", "farmers"), ("teacher", "teachers"), ("child", "children"),
    ("doctor", "doctors"), ("painter", "painters"), ("sailor", "sailors"), ("baker", "bakers"),
    ("student", "students"), ("king", "kings"), ("queen", "queens"), ("horse", "horses"), ("fox", "foxes"),
    ("neighbour", "neighbours"), ("singer", "singers"), ("soldier", "soldiers"), ("writer", "writers"),
    ("pilot", "pilots"), ("nurse", "nurses"), ("judge", "judges"), ("chef", "chefs"), ("rabbit", "rabbits"),
    ("monkey", "monkeys"), ("lawyer", "lawyers"), ("poet", "poets"), ("miner", "miners"), ("clerk", "clerks"),
)  # fmt: skip
THINGS = (
    ("soup", "soups"), ("letter", "letters"), ("house", "houses"), ("boat", "boats"), ("cake", "cakes"),
    ("picture", "pictures"), ("door", "doors"), ("book", "books"), ("box", "boxes"), ("car", "cars"),
    ("window", "windows"), ("table", "tables"), ("song", "songs"), ("coat", "coats"), ("basket", "baskets"),
    ("wall", "walls"), ("fence", "fences"), ("bridge", "bridges"), ("kettle", "kettles"), ("map", "maps"),
)  # fmt: skip
INSTRUMENTS = (
    "spoon", "knife", "hammer", "brush", "telescope", "pencil", "rope", "stick", "key", "ladder",
    "needle", "shovel", "camera", "net", "saw",
)  # fmt: skip
COMPANIONS = (  # "with" + these modifies the noun before it (a part, a topping, a feature)
    "carrots", "ribbons", "flowers", "stripes", "cherries", "pockets", "buttons", "wheels", "sails",
    "candles", "spots", "handles", "drawers", "shelves", "chimneys",
)  # fmt: skip
PLACES = (
    "garden", "kitchen", "forest", "market", "station", "library", "harbour", "village", "valley",
    "castle", "church", "school", "field", "square", "tower",
)  # fmt: skip
PLACE_PREPOSITIONS = ("in", "near", "behind")
ADVERBS = ("quickly", "slowly", "quietly", "loudly", "often", "rarely", "happily", "suddenly")
# (3rd person singular, plural) present forms
TRANSITIVE = (
    ("sees", "see"), ("likes", "like"), ("paints", "paint"), ("finds", "find"), ("carries", "carry"),
    ("opens", "open"), ("watches", "watch"), ("cleans", "clean"), ("builds", "build"), ("breaks", "break"),
    ("follows", "follow"), ("helps", "help"), ("visits", "visit"), ("draws", "draw"), ("fixes", "fix"),
    ("pushes", "push"), ("remembers", "remember"), ("hides", "hide"), ("lifts", "lift"), ("moves", "move"),
)  # fmt: skip
INTRANSITIVE = (
    ("sleeps", "sleep"), ("laughs", "laugh"), ("waits", "wait"), ("sings", "sing"), ("works", "work"),
    ("runs", "run"), ("smiles", "smile"), ("dances", "dance"), ("rests", "rest"), ("falls", "fall"),
)  # fmt: skip


@dataclass
class Sentence:
    """Words and the head of each (``heads[i]`` is the index of word i's head; -1 for the root)."""

    words: list[str]
    heads: list[int]

    def __len__(self) -> int:
        return len(self.words)

    @property
    def text(self) -> str:
        return " ".join(self.words)


class _Builder:
    """Appends words with provisional heads; a head may be set later (the verb comes after its subject)."""

    def __init__(self):
        self.words: list[str] = []
        self.heads: list[int] = []

    def add(self, word: str, head: int = -2) -> int:
        self.words.append(word)
        self.heads.append(head)
        return len(self.words) - 1

    def attach(self, child: int, head: int) -> None:
        self.heads[child] = head


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _noun_phrase(b: _Builder, rng, noun: str, plural: bool, adjective_p: float = 0.4) -> int:
    """Det [Adj] Noun; returns the noun's index (det and adj attach to it)."""
    det = b.add(_pick(rng, PLURAL_DETERMINERS if plural else DETERMINERS))
    adj = b.add(_pick(rng, ADJECTIVES)) if rng.random() < adjective_p else None
    head = b.add(noun)
    b.attach(det, head)
    if adj is not None:
        b.attach(adj, head)
    return head


def _agent(b: _Builder, rng, depth: int, relative_p: float) -> tuple[int, bool]:
    """A subject NP, possibly with a relative clause; returns (noun index, plural)."""
    plural = bool(rng.random() < 0.5)
    noun = _noun_phrase(b, rng, _pick(rng, AGENTS)[int(plural)], plural)
    if depth > 0 and rng.random() < relative_p:
        that = b.add("that")
        inner, inner_plural = _agent(b, rng, depth - 1, relative_p * 0.5)
        verb = b.add(_pick(rng, TRANSITIVE)[int(inner_plural)])
        b.attach(inner, verb)
        b.attach(that, verb)  # the relative pronoun is the clause verb's object
        b.attach(verb, noun)  # the clause modifies the noun
    return noun, plural


def _prepositional(b: _Builder, rng, head: int, kind: str) -> None:
    """A PP attached to ``head``: "with" + instrument or companion, or a place preposition + place."""
    if kind == "place":
        prep = b.add(_pick(rng, PLACE_PREPOSITIONS))
        noun = _noun_phrase(b, rng, _pick(rng, PLACES), False, adjective_p=0.2)
    else:
        prep = b.add("with")
        if kind == "instrument":
            noun = _noun_phrase(b, rng, _pick(rng, INSTRUMENTS), False, adjective_p=0.2)
        else:
            noun = _noun_phrase(b, rng, _pick(rng, COMPANIONS), True, adjective_p=0.2)
    b.attach(prep, noun)
    b.attach(noun, head)


def generate_sentence(rng: np.random.Generator, relative_p: float = 0.5) -> Sentence:
    b = _Builder()
    subject, plural = _agent(b, rng, depth=2, relative_p=relative_p)
    if rng.random() < 0.7:
        verb = b.add(_pick(rng, TRANSITIVE)[int(plural)])
        obj_plural = bool(rng.random() < 0.5)
        obj = _noun_phrase(b, rng, _pick(rng, THINGS)[int(obj_plural)], obj_plural)
        b.attach(obj, verb)
        if rng.random() < 0.35:
            _prepositional(b, rng, obj, "companion")  # "the cake with candles"
        if rng.random() < 0.5:
            _prepositional(b, rng, verb, _pick(rng, ("instrument", "place")))
    else:
        verb = b.add(_pick(rng, INTRANSITIVE)[int(plural)])
        if rng.random() < 0.5:
            b.attach(b.add(_pick(rng, ADVERBS)), verb)
        if rng.random() < 0.6:
            _prepositional(b, rng, verb, "place")
    b.attach(subject, verb)
    b.attach(verb, -1)
    assert all(h >= -1 for h in b.heads), "every word must have a head"
    return Sentence(b.words, b.heads)


def generate_sentences(count: int, seed: int, min_words: int = 5, max_words: int = 25) -> list[Sentence]:
    """``count`` sentences of ``min_words`` to ``max_words`` words (others are drawn again)."""
    rng = np.random.default_rng(seed)
    out: list[Sentence] = []
    while len(out) < count:
        sentence = generate_sentence(rng)
        if min_words <= len(sentence) <= max_words:
            out.append(sentence)
    return out


def treebank(seed: int, train: int = 1500, dev: int = 250, test: int = 500) -> dict[str, list[Sentence]]:
    """The three splits, generated from independent streams of one seed."""
    return {
        "train": generate_sentences(train, seed * 3 + 0),
        "dev": generate_sentences(dev, seed * 3 + 1),
        "test": generate_sentences(test, seed * 3 + 2),
    }


def right_branching(n: int) -> list[int]:
    """The chain baseline: word i's head is word i + 1 (the last word is the root)."""
    return [i + 1 for i in range(n - 1)] + [-1]


# --- word senses --------------------------------------------------------------------------------------

# word -> (sense name, training frames, test frames, training cues, test cues) for each of two senses.
# "{w}" is the ambiguous word, "{c}" a cue word of the same sense and split. Four frames and five cues
# per sense and split: 6 words x 2 senses x 4 frames x 5 cues = 240 uses per split, enough for a 95%
# interval on an accuracy near 0.9 to be about +-0.04 wide. No test cue occurs in any training sentence
# and no training cue in any test sentence (across all words, not only within one).
SENSES = {
    "bank": (
        ("river",
         ("we walked along the {w} of the {c}", "the grass on the {w} was wet from the {c}",
          "ducks nested on the {w} of the {c}", "the {w} of the {c} was steep and muddy"),
         ("a heron stood on the muddy {w} beside the {c}", "they rested on the {w} and watched the {c}",
          "the {w} sloped gently down to the {c}", "reeds grew thick along the {w} near the {c}"),
         ("river", "stream", "creek", "flood", "brook"), ("lagoon", "canal", "current", "tide", "rapids")),
        ("money",
         ("she opened an account at the {w} to keep her {c}", "the {w} lent him the {c}",
          "he went to the {w} to ask about his {c}", "the {w} kept his {c} safe"),
         ("he asked the {w} for a {c} last week", "the {w} charged a fee on every {c}",
          "the {w} approved her {c} on monday", "a clerk at the {w} handled the {c}"),
         ("savings", "loan", "cash", "salary", "money"),
         ("mortgage", "deposit", "cheque", "credit", "transfer")),
    ),
    "bat": (
        ("animal",
         ("a {w} flew out of the {c} at dusk", "the {w} hung upside down in the {c}",
          "a {w} lived in the dark {c}", "the {w} returned to the {c} before sunrise"),
         ("we saw a {w} hunting {c} in the dark", "the little {w} slept all day near the {c}",
          "a {w} chased {c} through the night", "the hungry {w} ate many {c}"),
         ("cave", "attic", "barn", "roof", "tunnel"), ("moths", "insects", "mosquitoes", "beetles", "gnats")),
        ("sport",
         ("he swung the {w} and hit the {c}", "she bought a new {w} for {c}",
          "he gripped the {w} and waited for the {c}", "the {w} was made for {c}"),
         ("the player gripped the {w} before the {c}", "a wooden {w} leaned against the {c}",
          "the {w} cracked during the {c}", "she carried her {w} to the {c}"),
         ("ball", "cricket", "baseball", "pitch", "softball"),
         ("innings", "umpire", "wicket", "match", "tournament")),
    ),
    "bass": (
        ("fish",
         ("he caught a large {w} in the {c}", "the {w} swam slowly through the {c}",
          "a hungry {w} hid in the {c}", "we found a {w} in the {c} this morning"),
         ("we grilled the {w} we pulled from the {c}", "a {w} took the bait near the {c}",
          "the {w} jumped out of the {c}", "a striped {w} rested under the {c}"),
         ("lake", "pond", "river", "net", "reservoir"), ("reeds", "dock", "shallows", "bay", "inlet")),
        ("music",
         ("she played the {w} in the {c}", "the {w} was too loud in the {c}",
          "he practised the {w} for the {c}", "the {w} player joined the {c}"),
         ("he tuned his {w} before the {c}", "the deep {w} filled the {c}",
          "she plugged her {w} into the amplifier at the {c}", "the {w} line carried the {c}"),
         ("band", "orchestra", "song", "concert", "quartet"),
         ("rehearsal", "studio", "melody", "choir", "gig")),
    ),
    "crane": (
        ("bird",
         ("a {w} waded through the {c}", "the {w} spread its wings over the {c}",
          "a grey {w} landed in the {c}", "the {w} stood on one leg in the {c}"),
         ("we watched a {w} hunt in the {c}", "the white {w} built a nest in the {c}",
          "a {w} flew low over the {c}", "the tall {w} fed near the {c}"),
         ("marsh", "wetland", "swamp", "bog", "pond"), ("reeds", "meadow", "estuary", "shore", "lagoon")),
        ("machine",
         ("the {w} lifted the steel {c}", "a tall {w} stood over the {c}",
          "the {w} swung the heavy {c} into place", "workers watched the {w} raise the {c}"),
         ("the operator moved the {w} toward the {c}", "the {w} dropped a {c} onto the truck",
          "the {w} loaded the {c} onto the ship", "a huge {w} hoisted the {c}"),
         ("beam", "girder", "pipe", "panel", "frame"), ("container", "scaffold", "cargo", "crate", "pallet")),
    ),
    "pitcher": (
        ("jug",
         ("she poured {c} from the {w} into a glass", "the {w} of {c} sat on the table",
          "he filled the {w} with cold {c}", "a {w} full of {c} stood on the counter"),
         ("he filled the {w} with {c}", "a glass {w} of {c} stood by the bed",
          "she refilled the {w} with fresh {c}", "the {w} of {c} was almost empty"),
         ("lemonade", "milk", "water", "wine", "cider"), ("juice", "tea", "cream", "syrup", "punch")),
        ("player",
         ("the {w} threw the {c} to the batter", "the {w} practised his {c} all week",
          "the coach told the {w} to throw a {c}", "the young {w} threw one more {c}"),
         ("the {w} stared at the {c} and waited", "a tired {w} walked to the {c}",
          "the {w} nodded toward the {c}", "the relief {w} came from the {c}"),
         ("ball", "curveball", "strike", "fastball", "slider"),
         ("catcher", "dugout", "bullpen", "umpire", "mound")),
    ),
    "seal": (
        ("animal",
         ("a {w} lay on the rocks by the {c}", "the {w} dived into the {c}",
          "a grey {w} swam far out into the {c}", "the {w} barked at the edge of the {c}"),
         ("we saw a {w} sleeping on the {c} near the shore", "the young {w} slept on the {c}",
          "a {w} rested on the {c} in the sun", "the fat {w} crawled across the {c}"),
         ("sea", "ocean", "waves", "surf", "water"), ("ice", "pebbles", "sand", "floe", "shingle")),
        ("stamp",
         ("the king pressed his {w} onto the {c}", "a wax {w} closed the {c}",
          "the royal {w} was stamped on the {c}", "the {w} on the {c} was red"),
         ("the clerk checked the {w} on the {c}", "she broke the {w} of the {c}",
          "the official {w} made the {c} valid", "a red {w} marked the {c}"),
         ("letter", "envelope", "scroll", "treaty", "certificate"),
         ("document", "charter", "decree", "contract", "deed")),
    ),
}  # fmt: skip


@dataclass
class SenseUse:
    word: str  # the ambiguous word
    sense: int  # 0 or 1
    words: list[str]  # the sentence, split on spaces
    position: int  # where the ambiguous word stands
    frame: int = 0  # which frame of its sense and split
    cue: int = 0  # which cue word of its sense and split


def sense_uses(split: str) -> list[SenseUse]:
    """Every sentence of ``split`` (train or test): each frame of the split with each cue of the split."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be train or test, got {split!r}")
    test = split == "test"
    uses = []
    for word, senses in SENSES.items():
        for sense, (_, train_frames, test_frames, train_cues, test_cues) in enumerate(senses):
            for f, frame in enumerate(test_frames if test else train_frames):
                for c, cue in enumerate(test_cues if test else train_cues):
                    words = frame.format(w=word, c=cue).split()
                    uses.append(SenseUse(word, sense, words, words.index(word), f, c))
    return uses


# --- a control task (Hewitt and Liang 2019) ---------------------------------------------------------


def control_heads(words: list[str], seed: int = 0) -> list[int]:
    """A tree fixed by the word types alone, not by the syntax: the last word is the root, the first
    word hangs under it, and every other word hangs under the first or the last word, as a coin
    flipped once per word type (and seed) decides. A probe that memorises word identity can learn it,
    so a probe's accuracy on it measures what the probe alone can do (its selectivity is the gap)."""
    import zlib

    n = len(words)
    if n == 1:
        return [-1]
    heads = [n - 1] * (n - 1) + [-1]
    for i in range(1, n - 1):
        if zlib.crc32(f"{seed}:{words[i]}".encode()) % 2:  # stable across runs, unlike hash()
            heads[i] = 0
    return heads
