"""Every registered note runs at its tiny size and keeps the findings contract, so no note rots."""

import json

import pytest

from nngarden.findings import validate_findings
from nngarden.notes import all_notes
from nngarden.runs import run_note

NOTES = all_notes()


@pytest.mark.parametrize("slug", list(NOTES))
def test_note_runs_at_tiny_size(slug, tmp_path):
    note = NOTES[slug]
    config = note.config_cls.tiny()
    data, reused = run_note(note, config, tmp_path / slug, preset="tiny")
    assert not reused
    assert validate_findings(data, note.claim_ids) == []
    on_disk = json.loads((tmp_path / slug / "findings.json").read_text())
    assert on_disk == data
    for fig in data["figures"]:
        assert (tmp_path / slug / fig).is_file(), fig


@pytest.mark.parametrize("slug", list(NOTES))
def test_note_presets_are_valid_configs(slug):
    cls = NOTES[slug].config_cls
    for preset in ("tiny", "quick", "full"):
        cfg = cls.preset(preset)
        assert cls.from_dict(cfg.to_dict()) == cfg
    assert set(NOTES[slug].quick_decides) <= set(NOTES[slug].claim_ids)
