"""``nngarden sample``: a checkpoint is self-contained (config and tokenizer travel with it)."""

import shutil

import pytest

from nngarden import cli

from ._tiny import make_text, train_args


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    text = make_text(root / "tiny.txt")
    assert cli.main(train_args(root / "run", text, "train.max_steps=8", "train.checkpoint_interval=4")) == 0
    moved = root / "elsewhere"
    shutil.copytree(root / "run" / "checkpoints" / "step-00000008", moved)  # no corpus, no config needed
    (root / "tiny.txt").unlink()
    return moved, root / "run"


def test_sample_continues_the_prompt_reproducibly(trained, capsys):
    folder, _ = trained
    assert (
        cli.main(
            ["sample", "--checkpoint", str(folder), "--prompt", "KING:", "--tokens", "40", "--seed", "3"]
        )
        == 0
    )
    first = capsys.readouterr().out
    assert first.startswith("KING:") and len(first) == len("KING:") + 40 + 1
    assert (
        cli.main(
            ["sample", "--checkpoint", str(folder), "--prompt", "KING:", "--tokens", "40", "--seed", "3"]
        )
        == 0
    )
    assert capsys.readouterr().out == first
    assert (
        cli.main(
            [
                "sample",
                "--checkpoint",
                str(folder),
                "--prompt",
                "KING:",
                "--tokens",
                "40",
                "--seed",
                "4",
                "--top-k",
                "3",
                "--temperature",
                "1.5",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out != first


def test_sample_accepts_a_training_folder(trained, capsys):
    _, run = trained
    assert cli.main(["sample", "--checkpoint", str(run), "--tokens", "5"]) == 0


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--temperature", "0"], "--temperature"),
        (["--top-k", "0"], "--top-k"),
        (["--tokens", "-1"], "--tokens"),
        (["--prompt", "§"], "--prompt"),
    ],
)
def test_bad_sample_options_are_one_clear_line(trained, capsys, argv, words):
    folder, _ = trained
    assert cli.main(["sample", "--checkpoint", str(folder), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err
