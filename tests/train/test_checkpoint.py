"""Checkpoints round-trip exactly, are atomic, and refuse damaged or foreign files without unpickling."""

import json
import pickle
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from nngarden import cli
from nngarden.nn.gpt import GPT, GPTConfig
from nngarden.train import checkpoint as ckpt
from nngarden.train.optim import adamw


def tiny_model(n_embd=16):
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=n_embd))


def trained(model):
    opt = adamw(model, 1e-2, (0.9, 0.99), 0.1, "cpu")
    for _ in range(2):
        x = torch.randint(11, (2, 8))
        model(x, x)[1].backward()
        opt.step()
        opt.zero_grad()
    return opt


@pytest.fixture
def saved(tmp_path):
    model = tiny_model()
    opt = trained(model)
    folder = ckpt.save_checkpoint(
        tmp_path / "ckpts",
        7,
        model,
        opt,
        {"model": "tiny", "rng": ckpt.rng_state()},
        tokenizer_json='{"type": "nngarden-char", "chars": ["a"]}',
    )
    return folder, model, opt


class MarkerPayload:
    """Unpickling this creates a file: proof that a loader executed code from a checkpoint."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_round_trip_restores_model_optimizer_and_rng_exactly(saved):
    folder, model, opt = saved
    assert folder.name == "step-00000007"
    state = ckpt.read_state(folder)
    assert state["step"] == 7 and state["aliases"] == {"lm_head.weight": "transformer.wte.weight"}
    assert set(json.loads((folder / "manifest.json").read_text())["files"]) == {
        "model.safetensors",
        "optimizer.safetensors",
        "tokenizer.json",
        "state.json",
    }
    fresh = tiny_model()
    with torch.no_grad():
        for p in fresh.parameters():
            p.add_(1.0)
    fresh_opt = adamw(fresh, 1e-2, (0.9, 0.99), 0.1, "cpu")
    ckpt.load_model_state(folder, fresh, state)
    ckpt.load_optimizer_state(folder, fresh_opt, state)
    for (name, a), b in zip(model.state_dict().items(), fresh.state_dict().values()):
        assert torch.equal(a, b), name
    assert fresh.lm_head.weight is fresh.transformer.wte.weight  # tying survives
    for pa, pb in zip(model.parameters(), fresh.parameters()):
        sa, sb = opt.state[pa], fresh_opt.state[pb]
        assert all(torch.equal(sa[k], sb[k]) for k in ("step", "exp_avg", "exp_avg_sq"))
    # RNG states: drawing after a restore repeats the draws after the save
    ckpt.set_rng_state(state["rng"])
    after = (random.random(), np.random.rand(), torch.rand(1).item())
    ckpt.set_rng_state(state["rng"])
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == after


def test_a_folder_without_manifest_does_not_exist_and_temporary_folders_are_cleaned(saved):
    folder, model, opt = saved
    root = folder.parent
    (root / "step-00000009").mkdir()  # no manifest
    (root / ".tmp-step-00000010-123").mkdir()
    assert [s for s, _ in ckpt.complete_checkpoints(root)] == [7]
    assert ckpt.resolve_checkpoint(root) == folder
    ckpt.clean_temporary(root)
    assert not (root / ".tmp-step-00000010-123").exists()


def test_keep_last_k(tmp_path):
    model = tiny_model()
    for step in range(1, 6):
        ckpt.save_checkpoint(tmp_path, step, model, None, {}, keep=2)
    assert [s for s, _ in ckpt.complete_checkpoints(tmp_path)] == [4, 5]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step-00000004", "step-00000005"]


@pytest.mark.parametrize(
    "damage, words",
    [
        (
            lambda f: (f / "model.safetensors").write_bytes((f / "model.safetensors").read_bytes()[:100]),
            "bytes",
        ),
        (lambda f: (f / "model.safetensors").write_bytes(b""), "bytes"),
        (lambda f: _flip_byte(f / "model.safetensors"), "SHA-256"),
        (lambda f: (f / "optimizer.safetensors").unlink(), "missing"),
        (lambda f: (f / "manifest.json").write_text("{not json"), "corrupted"),
        (lambda f: (f / "manifest.json").write_text(""), "corrupted"),
        (lambda f: (f / "manifest.json").unlink(), "incomplete"),
        (lambda f: _edit_manifest(f, format_version=99), "format version 99"),
    ],
)
def test_damaged_checkpoints_are_refused_with_a_clear_message(saved, damage, words):
    folder, _, _ = saved
    damage(folder)
    with pytest.raises(ckpt.CheckpointError, match=words):
        state = ckpt.read_state(folder)
        ckpt.load_model_state(folder, tiny_model(), state)


def _flip_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _edit_manifest(folder, **changes):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(changes)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _rehash(folder, name):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][name] = {"bytes": (folder / name).stat().st_size, "sha256": ckpt._sha256(folder / name)}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_a_pickle_in_place_of_the_tensors_is_refused_and_never_executed(saved, tmp_path, monkeypatch):
    folder, _, _ = saved
    marker = tmp_path / "pwned"
    (folder / "model.safetensors").write_bytes(pickle.dumps(MarkerPayload(marker)))
    _rehash(folder, "model.safetensors")  # even with a manifest that vouches for it
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called"))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("pickle.load was called"))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("pickle.loads was called"))
    with pytest.raises(ckpt.CheckpointError, match="not a readable safetensors file"):
        ckpt.load_model_state(folder, tiny_model(), ckpt.read_state(folder))
    assert not marker.exists()
    monkeypatch.undo()  # the payload is real: unpickling it creates the marker
    pickle.loads((folder / "model.safetensors").read_bytes())
    assert marker.exists()


def test_a_pickle_file_given_as_checkpoint_is_one_clear_cli_error(tmp_path, capsys):
    marker = tmp_path / "pwned"
    bad = tmp_path / "model.pt"
    bad.write_bytes(pickle.dumps(MarkerPayload(marker)))
    assert cli.main(["sample", "--checkpoint", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is a file" in err and "never loaded" in err
    assert not marker.exists()


def test_a_checkpoint_of_another_shape_is_refused_naming_the_tensor(saved):
    folder, _, _ = saved
    with pytest.raises(
        ckpt.CheckpointError, match=r"transformer\.wte\.weight has shape \(11, 16\).*\(11, 32\)"
    ):
        ckpt.load_model_state(folder, tiny_model(n_embd=32), ckpt.read_state(folder))
    model = tiny_model(n_embd=32)
    with pytest.raises(ckpt.CheckpointError, match="shape"):
        ckpt.load_optimizer_state(
            folder, adamw(model, 1e-3, (0.9, 0.99), 0.1, "cpu"), ckpt.read_state(folder)
        )


def test_resolve_checkpoint_errors(tmp_path):
    with pytest.raises(ckpt.CheckpointError, match="does not exist"):
        ckpt.resolve_checkpoint(tmp_path / "nope")
    with pytest.raises(ckpt.CheckpointError, match="holds no complete checkpoint"):
        ckpt.resolve_checkpoint(tmp_path)
