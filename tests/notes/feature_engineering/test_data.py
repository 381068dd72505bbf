"""The loader reads Hutto and Gilbert's files from the archive in place; folds are fixed by id."""

import pytest

from nngarden.data.fetch import DataMissing
from nngarden.data.sentiment import Sentence, labelled, load_ratings, parse_ground_truth

from .conftest import ground_truth


def test_the_loader_reads_every_source_from_the_archive_with_crlf_lines(fake_vader):
    sentences = load_ratings()
    by_source = {s: [x for x in sentences if x.source == s] for s in ("tweets", "movies", "amazon", "nyt")}
    assert {s: len(v) for s, v in by_source.items()} == {"tweets": 60, "movies": 60, "amazon": 60, "nyt": 60}
    assert all("\r" not in s.text and s.text for s in sentences)
    assert by_source["amazon"][0].id == "1_1" and by_source["movies"][0].id == "1"
    kept, dropped = labelled(sentences)
    assert dropped == 4 and all(s.rating != 0 for s in kept)  # one sentence per source rated exactly 0
    assert {s.label for s in kept} == {0, 1}
    only = load_ratings(sources=("tweets",))
    assert [s.text for s in only] == [s.text for s in by_source["tweets"]]


def test_a_missing_archive_names_the_fetch_command(empty_cache):
    with pytest.raises(DataMissing, match="nngarden data fetch"):
        load_ratings()


def test_folds_follow_the_id_not_the_order_and_a_zero_rating_has_no_label():
    rows = parse_ground_truth(ground_truth("movies", 40, 1), "movies")
    folds = {s.id: s.fold(5) for s in rows}
    assert {s.id: s.fold(5) for s in reversed(rows)} == folds and set(folds.values()) == set(range(5))
    assert Sentence("movies", "7", 0.5, "x").fold(5) == Sentence("movies", "7", -2.0, "y").fold(5)
    with pytest.raises(ValueError, match="exactly 0"):
        _ = Sentence("movies", "1", 0.0, "meh").label
    with pytest.raises(ValueError, match="tabs"):
        parse_ground_truth("1\t2.0\n", "movies")
