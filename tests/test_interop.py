"""Export to Hugging Face and ONNX, import from Hugging Face: exact logits, tokens, refusals."""

import json

import pytest
import torch

from nngarden.config import ConfigError
from nngarden.data.text import BPETokenizer, CharTokenizer
from nngarden.nn.gpt import GPT, GPTConfig

transformers = pytest.importorskip("transformers", reason="the [hf] extra is not installed")
from nngarden.interop import from_hf, hf_config, parameter_table, to_hf, to_onnx  # noqa: E402

CHARS = list("\n !',.:;?abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def random_gpt(bias=True, activation=None, vocab=len(CHARS), block=24, seed=0):
    """A tiny GPT with random weights, non-zero biases and LayerNorm gains, so no term hides."""
    torch.manual_seed(seed)
    extra = {} if activation is None else {"activation": activation}
    model = GPT(
        GPTConfig(vocab_size=vocab, block_size=block, n_layer=2, n_head=2, n_embd=16, bias=bias, **extra)
    )
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model.eval()


@pytest.mark.parametrize("bias", [True, False])
def test_exported_folder_loads_in_transformers_with_equal_logits_and_greedy_text(bias, tmp_path):
    model, tok = random_gpt(bias=bias), CharTokenizer(CHARS)
    out = to_hf(model, tok, tmp_path / "hf")
    assert {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json"} <= {
        p.name for p in out.iterdir()
    }
    hf = transformers.GPT2LMHeadModel.from_pretrained(out, local_files_only=True).eval()
    x = torch.randint(len(CHARS), (3, 24))
    with torch.no_grad():
        assert (hf(x).logits - model(x)[0]).abs().max() < 1e-5
        prompt = torch.tensor([tok.encode("To be")])
        ours = model.generate(prompt, 19, temperature=0)
        theirs = hf.generate(prompt, max_new_tokens=19, do_sample=False, pad_token_id=0)
    assert torch.equal(ours, theirs)


def test_the_character_tokenizer_matches_ids_and_round_trips(tmp_path):
    tok = CharTokenizer(CHARS)
    out = to_hf(random_gpt(), tok, tmp_path / "hf")
    fast = transformers.AutoTokenizer.from_pretrained(out)
    text = "ROMEO:\nBut soft, what light through yonder window breaks?\n\n It is the east!"
    ids = fast(text)["input_ids"]
    assert ids == tok.encode(text)
    assert fast.decode(ids) == text


def test_a_bpe_tokenizer_exports_as_itself(tmp_path):
    text = "the quick brown fox jumps over the lazy dog " * 50
    tok = BPETokenizer.train(text, 300)
    out = to_hf(random_gpt(vocab=tok.vocab_size), tok, tmp_path / "hf")
    fast = transformers.AutoTokenizer.from_pretrained(out)
    assert fast("the lazy fox")["input_ids"] == tok.encode("the lazy fox")
    _, back = from_hf(out)
    assert back.encode("the lazy fox") == tok.encode("the lazy fox")


def test_the_pipeline_runs_offline_on_the_exported_folder(tmp_path):
    out = to_hf(random_gpt(), CharTokenizer(CHARS), tmp_path / "hf")
    generate = transformers.pipeline("text-generation", model=str(out), tokenizer=str(out), device="cpu")
    text = generate("To be", max_new_tokens=5, do_sample=False)[0]["generated_text"]
    assert text.startswith("To be") and len(text) == 10


def test_hf_to_nngarden_to_hf_round_trip_with_tanh_gelu(tmp_path):
    torch.manual_seed(1)
    cfg = transformers.GPT2Config(vocab_size=50, n_positions=20, n_embd=24, n_layer=2, n_head=3)
    assert cfg.activation_function == "gelu_new"
    hf = transformers.GPT2LMHeadModel(cfg).eval()
    with torch.no_grad():
        for p in hf.parameters():
            p.add_(0.05 * torch.randn_like(p))
    hf.save_pretrained(tmp_path / "hf")
    model, tokenizer = from_hf(tmp_path / "hf")
    assert tokenizer is None and model.config.activation == "gelu_tanh"
    x = torch.randint(50, (2, 20))
    with torch.no_grad():
        assert (model(x)[0] - hf(x).logits).abs().max() < 1e-5
        to_hf(model, None, tmp_path / "back")
        again = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "back", local_files_only=True).eval()
        assert (again(x).logits - hf(x).logits).abs().max() < 1e-5


def test_the_mapping_table_covers_every_parameter_once():
    model = random_gpt()
    names = [ours for ours, _, _ in parameter_table(model.config.n_layer)]
    assert len(names) == len(set(names))
    assert set(model.state_dict()) - set(names) == {"lm_head.weight"}  # tied to wte


def test_what_gpt2_cannot_hold_is_refused(tmp_path):
    config = random_gpt().config
    with pytest.raises(ConfigError, match="activation 'relu2'"):
        hf_config(GPTConfig(**{**config.to_dict(), "activation": "relu2"}))
    model = random_gpt()
    with pytest.raises(ConfigError, match="tokenizer has 3 tokens"):
        to_hf(model, CharTokenizer(list("abc")), tmp_path / "x")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"n_inner": 40}, "n_inner 40"),
        ({"scale_attn_by_inverse_layer_idx": True}, "scale_attn_by_inverse_layer_idx"),
        ({"reorder_and_upcast_attn": True}, "reorder_and_upcast_attn"),
        ({"activation_function": "relu"}, "activation_function 'relu'"),
    ],
)
def test_from_hf_refuses_configs_it_cannot_reproduce(change, message, tmp_path):
    out = to_hf(random_gpt(), None, tmp_path / "hf")
    cfg = json.loads((out / "config.json").read_text())
    (out / "config.json").write_text(json.dumps({**cfg, **change}))
    with pytest.raises(ConfigError, match=message):
        from_hf(out)


def test_from_hf_refuses_folders_that_are_not_a_safetensors_gpt2(tmp_path):
    with pytest.raises(ConfigError, match="no config.json"):
        from_hf(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(ConfigError, match="never does"):
        from_hf(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (tmp_path / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ConfigError, match="not gpt2"):
        from_hf(tmp_path)


def test_onnx_runtime_matches_eager_pytorch_at_several_shapes(tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="the [onnx] extra is not installed")
    model = random_gpt(block=16)
    path = to_onnx(model, tmp_path / "model.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input_ids"]
    assert session.get_outputs()[0].name == "logits"
    for batch, length in [(1, 1), (2, 7), (3, 16)]:
        x = torch.randint(len(CHARS), (batch, length))
        (logits,) = session.run(["logits"], {"input_ids": x.numpy()})
        with torch.no_grad():
            assert abs(logits - model(x)[0].numpy()).max() < 1e-4


# --- the export command ----------------------------------------------------------------------------------


def _checkpoint(tmp_path, model, tokenizer, cls="nngarden.nn.gpt.GPT"):
    from nngarden.train import checkpoint as ckpt

    state = {"model": {"class": cls, "config": model.config.to_dict()}}
    return ckpt.save_checkpoint(tmp_path / "run" / "checkpoints", 5, model, None, state, tokenizer.to_json())


def test_export_command_writes_hf_and_onnx_from_a_training_folder(tmp_path, capsys):
    from nngarden import cli

    model, tok = random_gpt(), CharTokenizer(CHARS)
    _checkpoint(tmp_path, model, tok)
    assert (
        cli.main(
            ["export", "--checkpoint", str(tmp_path / "run"), "--format", "hf", "--out", str(tmp_path / "hf")]
        )
        == 0
    )
    assert "exported" in capsys.readouterr().out
    hf = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "hf", local_files_only=True).eval()
    x = torch.randint(len(CHARS), (2, 10))
    with torch.no_grad():
        assert (hf(x).logits - model(x)[0]).abs().max() < 1e-5
    pytest.importorskip("onnx", reason="the [onnx] extra is not installed")
    assert (
        cli.main(
            [
                "export",
                "--checkpoint",
                str(tmp_path / "run"),
                "--format",
                "onnx",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    assert (tmp_path / "o" / "model.onnx").stat().st_size > 0


def test_export_refuses_bad_input_in_one_line(tmp_path, capsys):
    from nngarden import cli

    def refused(argv, message):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err

    base = ["export", "--format", "hf", "--out", str(tmp_path / "out")]
    refused(base + ["--checkpoint", str(tmp_path / "nothing")], "nothing")
    folder = _checkpoint(tmp_path, random_gpt(), CharTokenizer(CHARS))
    with open(folder / "model.safetensors", "r+b") as fh:  # flip a byte
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 0xFF]))
    refused(base + ["--checkpoint", str(folder)], "SHA-256")
    small = CharTokenizer(list("abc"))
    _checkpoint(tmp_path / "v", random_gpt(), small)
    refused(base + ["--checkpoint", str(tmp_path / "v" / "run")], "tokenizer has 3 tokens")
    relu = random_gpt(activation="relu2")
    _checkpoint(tmp_path / "r", relu, CharTokenizer(CHARS))
    refused(base + ["--checkpoint", str(tmp_path / "r" / "run")], "activation 'relu2'")
    _checkpoint(tmp_path / "b", random_gpt(), CharTokenizer(CHARS), cls="nngarden.nn.bert.BERT")
    refused(base + ["--checkpoint", str(tmp_path / "b" / "run")], "holds a BERT")
