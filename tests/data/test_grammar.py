import numpy as np

from nngarden.data.grammar import (
    AGENTS,
    COMPANIONS,
    INSTRUMENTS,
    INTRANSITIVE,
    PLACES,
    SENSES,
    TRANSITIVE,
    control_heads,
    generate_sentences,
    right_branching,
    sense_uses,
    treebank,
)
from nngarden.nn.tree_embedding import depths

SINGULAR_VERBS = {s for s, _ in TRANSITIVE + INTRANSITIVE}
PLURAL_VERBS = {p for _, p in TRANSITIVE + INTRANSITIVE}
SINGULAR_AGENTS = {s for s, _ in AGENTS}
PLURAL_AGENTS = {p for _, p in AGENTS}


def test_every_sentence_is_one_tree_within_the_length_range():
    for sentence in generate_sentences(300, seed=0):
        assert 5 <= len(sentence) <= 25
        assert sentence.heads.count(-1) == 1
        assert all(-1 <= h < len(sentence) and h != i for i, h in enumerate(sentence.heads))
        depths(sentence.heads)  # raises unless every word reaches the root (no cycles)


def test_subjects_agree_with_their_verbs_even_across_relative_clauses():
    checked = far = 0
    for sentence in generate_sentences(300, seed=1):
        for i, word in enumerate(sentence.words):
            head = sentence.heads[i]
            if head < 0 or i > head or sentence.words[head] not in SINGULAR_VERBS | PLURAL_VERBS:
                continue
            if word in SINGULAR_AGENTS:  # a noun before its verb that attaches to it: the subject
                assert sentence.words[head] in SINGULAR_VERBS, sentence.text
            elif word in PLURAL_AGENTS:
                assert sentence.words[head] in PLURAL_VERBS, sentence.text
            else:
                continue
            checked += 1
            far += head - i > 4
    assert checked > 300 and far > 20  # relative clauses put many subjects far from their verbs


def test_prepositional_attachment_is_decided_by_the_words():
    verbs = SINGULAR_VERBS | PLURAL_VERBS
    for sentence in generate_sentences(400, seed=2):
        for i, word in enumerate(sentence.words):
            head = sentence.heads[i]
            if head < 0:
                continue
            if word in INSTRUMENTS or word in PLACES:
                assert sentence.words[head] in verbs, sentence.text
            elif word in COMPANIONS:
                assert sentence.words[head] not in verbs, sentence.text


def test_splits_are_reproducible_and_differ():
    a, b = treebank(seed=0, train=20, dev=5, test=5), treebank(seed=0, train=20, dev=5, test=5)
    assert [s.text for s in a["train"]] == [s.text for s in b["train"]]
    assert [s.text for s in a["train"][:5]] != [s.text for s in a["test"]]
    assert right_branching(4) == [1, 2, 3, -1]


def test_sense_uses_share_no_cue_word_between_training_and_test():
    train, test = sense_uses("train"), sense_uses("test")
    assert len(test) == len(train) == 240  # 6 words x 2 senses x 4 frames x 5 cues
    assert len({" ".join(u.words) for u in test}) == 240  # distinct uses
    train_cues = {cue for senses in SENSES.values() for sense in senses for cue in sense[3]}
    test_cues = {cue for senses in SENSES.values() for sense in senses for cue in sense[4]}
    train_words = {w for use in train for w in use.words}
    test_words = {w for use in test for w in use.words}
    assert not test_cues & train_words  # across words too: "lake" cannot cue bass in training and
    assert not train_cues & test_words  # bank at test
    for use in train + test:
        assert use.words.count(use.word) == 1 and use.words[use.position] == use.word
    counts = np.bincount([u.sense for u in test])
    assert counts[0] == counts[1]
    assert {(u.frame, u.cue) for u in test} == {(f, c) for f in range(4) for c in range(5)}


def test_the_control_tree_depends_on_word_types_only():
    words = "the old dog that the cat sees barks".split()
    heads = control_heads(words, seed=3)
    depths(heads)  # one tree
    assert heads[-1] == -1 and heads[0] == len(words) - 1
    assert all(h in (0, len(words) - 1) for h in heads[1:-1])
    again = control_heads("a cat sees the old barks that dog".split(), seed=3)
    # a word type keeps its behaviour (first or last word) wherever it stands
    assert (heads[1] == 0) == (again[4] == 0)  # "old"
    assert control_heads(words, seed=3) == heads
    assert any(control_heads(words, seed=s) != heads for s in range(10))
