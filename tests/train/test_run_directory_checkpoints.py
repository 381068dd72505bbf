"""``fill`` and ``sample`` given a run directory whose models are in sub-folders (the bert note's run:
``bert/`` and ``gpt/``): the one sub-folder of the right kind is used and named; several, or none, are
one line (exit 2) naming them."""

import shutil

import pytest

from nngarden import cli

from ._tiny import make_text, train_args


@pytest.fixture(scope="module")
def bert_run(tmp_path_factory):
    """A run directory laid out as the bert note's: an empty checkpoints/, a BERT and a GPT below."""
    root = tmp_path_factory.mktemp("bert-run")
    text = make_text(root / "tiny.txt")
    run = root / "run"
    (run / "checkpoints").mkdir(parents=True)
    assert cli.main(train_args(run / "gpt", text, "train.max_steps=4")) == 0
    bert = train_args(run / "bert", text, "train.max_steps=4")
    bert[bert.index("gpt")] = "bert"
    assert cli.main(bert) == 0
    return run


def test_fill_and_sample_take_the_one_sub_folder_of_their_kind_and_say_which(bert_run, capsys):
    capsys.readouterr()
    assert cli.main(["fill", "--checkpoint", str(bert_run), "--text", "the [MASK]ing"]) == 0
    out, err = capsys.readouterr()
    assert "filled:" in out
    assert f"using {bert_run / 'bert' / 'checkpoints' / 'step-00000004'}" in err and "in bert/" in err
    assert cli.main(["sample", "--checkpoint", str(bert_run), "--tokens", "10"]) == 0
    out, err = capsys.readouterr()
    assert len(out) == 1 + 10 + 1  # the prompt (a newline), the tokens, a newline: nothing else
    assert "the only GPT checkpoint" in err and "in gpt/" in err


def test_two_of_a_kind_or_none_is_one_line_naming_the_sub_folders(bert_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(bert_run, run)
    shutil.copytree(run / "bert", run / "bert-0.4")
    assert cli.main(["fill", "--checkpoint", str(run), "--text", "the [MASK]"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "2 BERT checkpoints, in bert/, bert-0.4/: name one" in err
    assert cli.main(["sample", "--checkpoint", str(run), "--tokens", "3"]) == 0  # still one GPT
    capsys.readouterr()
    shutil.rmtree(run / "gpt")
    assert cli.main(["sample", "--checkpoint", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "holds no GPT checkpoint; its sub-folders hold bert/ (BERT), bert-0.4/ (BERT)" in err
