"""The note on a small archive the tests make: every system runs (the CNN and the BERTs through fit() or
the engine), rejudging needs neither data nor training, and without the archive every claim is
inconclusive with the command that fetches it."""

import json

import numpy as np
import torch

from nngarden.notes.feature_engineering import NOTE, experiment, sweep
from nngarden.notes.feature_engineering.config import FeatureEngineeringConfig
from nngarden.runs import rejudge_run, run_note
from nngarden.train.fit import record_fits

TINY = FeatureEngineeringConfig.tiny()


def test_the_tiny_preset_runs_every_system_on_the_made_archive_and_rejudges_without_it(
    fake_vader, tmp_path, monkeypatch
):
    cfg = TINY.with_overrides(["label_counts="])
    seen = []
    with record_fits(lambda model, batch, device: seen.append(device)):
        data, _ = run_note(NOTE, cfg, tmp_path / "run", preset="tiny")
    assert seen and set(seen) == {"cpu"}  # the CNN trains through fit(), 3 folds plus the transfer
    verdicts = {c["id"]: c["verdict"] for c in data["claims"]}
    assert verdicts["pretraining-pays"] == "inconclusive" and verdicts["vader-reproduced"] in (
        "holds",
        "fails",
    )
    stages = sorted(p.stem for p in (tmp_path / "run" / "stages").glob("*.json"))
    assert stages == [*(f"cnn-movies-fold{k}" for k in range(3)), "sklearn-movies", "transfer",
                      "transfer-cnn", "vader"]  # fmt: skip
    sklearn = json.loads((tmp_path / "run" / "stages" / "sklearn-movies.json").read_text())["result"]
    assert set(sklearn["folds"][0]["accuracy"]) == {"vader", "tfidf", "hand", "hand-lr", "hand-hgb"}
    assert sum(f["n_test"] for f in sklearn["folds"]) == 59  # 60 movie rows, one rated exactly 0
    assert data["figures"] == ["figures/accuracy_table.png", "figures/vader_vs_people.png"]
    monkeypatch.setenv("NNGARDEN_DATA", str(tmp_path / "nothing"))
    experiment.load_corpus.cache_clear()
    again = rejudge_run(NOTE, tmp_path / "run")
    assert [c["verdict"] for c in again["claims"]] == [c["verdict"] for c in data["claims"]]


def test_without_the_archive_every_claim_is_inconclusive_with_the_fetch_command(empty_cache, tmp_path):
    data, _ = run_note(NOTE, FeatureEngineeringConfig.quick(), tmp_path / "run", preset="quick")
    assert {c["verdict"] for c in data["claims"]} == {"inconclusive"}
    assert all("nngarden data fetch" in c["criterion"] for c in data["claims"][:5])
    assert data["figures"] == []


def fake_minilm(texts, device, batch=64):
    """Hashed bags of words in place of MiniLM's vectors (its weights are not part of the made data)."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().split():
            out[i, sum(map(ord, word)) % 64] += 1.0
    return out


def test_the_label_sweep_pretrains_once_and_fine_tunes_both_berts(fake_vader, tmp_path, monkeypatch):
    monkeypatch.setattr(sweep, "require", lambda name: tmp_path)
    monkeypatch.setattr(sweep, "minilm_vectors", fake_minilm)
    cfg = TINY.with_overrides(["in_domain=movies"])
    from nngarden.runs import RunContext

    ctx = RunContext(tmp_path / "run")
    seen = []
    with record_fits(lambda model, batch, device: seen.append(type(model).__name__)):
        out = sweep.label_sweep(cfg, ctx)
    assert (
        out["pretraining"]["steps"] == cfg.pretrain_steps
        and out["pretraining"]["vocabulary"] <= cfg.bert_vocab
    )
    (run,) = out["counts"]["40"]
    assert run["n_labels"] == 40 and set(run) >= {"bert-scratch", "bert-pretrained", "minilm", "tfidf", "cnn"}
    assert seen.count("BertClassifier") == 2 * len(sweep.FINETUNE_LRS) and "TextCNN" in seen
    # the pretraining text leaves out the movie test sentences, and nothing else
    corpus = experiment.load_corpus(cfg.max_per_source)
    _, test = sweep.movie_split(cfg, corpus)
    text = (ctx.checkpoints_dir / "bert-mlm" / "unlabelled.txt").read_text().splitlines()
    assert len(text) == len(corpus.sentences) - len(test)
    assert not set(text) & {corpus.sentences[i].text for i in test} - {
        s.text for k, s in enumerate(corpus.sentences) if k not in set(test.tolist())
    }


def test_the_cnn_ignores_padding_and_keeps_kims_max_norm():
    from nngarden.nn.text_cnn import SparseAndDenseAdam, TextCNN, Vocabulary

    vocab = Vocabulary(["a good film", "a bad film !"])
    ids = vocab.encode(["a good film", "a bad film !"], max_tokens=10, min_tokens=5)
    assert ids.shape == (2, 5) and ids[0, 3:].eq(0).all()
    model = TextCNN(len(vocab), 8, (2, 3), 4, dropout=0.0).eval()
    padded = torch.cat([ids, torch.zeros(2, 6, dtype=torch.long)], dim=1)
    assert torch.allclose(model(ids), model(padded))
    short = vocab.encode(["good"], max_tokens=10)
    assert model(short).shape == (1, 2) and model(short).abs().sum() > 0  # one word: still a window
    with torch.no_grad():
        model.out.weight.mul_(100)
    model.max_norm_(3.0)
    assert model.out.weight.norm(dim=1).max() <= 3.0 + 1e-5
    optimizer = SparseAndDenseAdam(model, 0.01)
    before = model.embed.weight.detach().clone()
    model.train()
    model(ids).sum().backward()
    optimizer.step()
    changed = (model.embed.weight != before).any(1)
    assert changed[ids.unique()[1:]].all() and not changed[1]  # used rows move, the unknown row does not


def test_hand_features_and_readability():
    from nngarden.notes.feature_engineering.handmade import (
        FEATURE_NAMES,
        hand_features,
        syllables,
        vader_scores,
    )

    assert [syllables(w) for w in ("cat", "table", "beautiful", "make")] == [1, 2, 3, 1]
    texts = ["I do NOT love this!!", "The cat sat."]
    rows = hand_features(texts, vader_scores(texts))
    named = [dict(zip(FEATURE_NAMES, row)) for row in rows]
    assert named[0]["exclamations"] == 2 and named[0]["negations"] == 1 and named[0]["capital_words"] == 0.2
    assert named[1]["flesch_reading_ease"] > named[0]["flesch_reading_ease"] - 50
    assert named[0]["vader_compound"] < 0  # VADER's negation rule turns "love" around


def test_the_tfidf_search_chooses_as_grid_search_does():
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from nngarden.notes.feature_engineering.systems import fit_tfidf, tfidf_model

    from .conftest import ground_truth

    rows = [line.split("\t") for line in ground_truth("movies", 120, 3).splitlines()]
    texts = [r[2] for r in rows if float(r[1]) != 0]
    labels = np.array([int(float(r[1]) > 0) for r in rows if float(r[1]) != 0])
    cfg = FeatureEngineeringConfig.quick().with_overrides(["tfidf_c=0.01,0.1,1,10"])
    model, chosen = fit_tfidf(texts, labels, cfg, seed=5)
    search = GridSearchCV(tfidf_model(1.0), {"lr__C": list(cfg.tfidf_c)},
                          cv=StratifiedKFold(cfg.inner_folds, shuffle=True, random_state=5))  # fmt: skip
    search.fit(texts, labels)
    assert chosen["C"] == search.best_params_["lr__C"]
    assert (model.predict(texts) == search.predict(texts)).all()
