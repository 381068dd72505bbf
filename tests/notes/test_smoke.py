"""Every registered note runs at its tiny size, keeps the findings contract and trains on the run's
device, so no note rots."""

import json

import pytest
import torch

from nngarden.findings import validate_findings
from nngarden.notes import all_notes
from nngarden.runs import run_note
from nngarden.train.fit import record_fits

NOTES = all_notes()
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _devices_of(batch) -> set[str]:
    if isinstance(batch, torch.Tensor):
        return {batch.device.type}
    if isinstance(batch, (tuple, list)):
        return set().union(*(_devices_of(item) for item in batch)) if batch else set()
    if isinstance(batch, dict):
        return _devices_of(list(batch.values()))
    return set()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("slug", list(NOTES))
def test_note_runs_at_tiny_size_on_the_runs_device(slug, device, tmp_path):
    note = NOTES[slug]
    config = note.config_cls.tiny()
    seen = []

    def recorder(model, batch, fit_device):
        seen.append((fit_device, {p.device.type for p in model.parameters()}, _devices_of(batch)))

    with record_fits(recorder):
        data, reused = run_note(note, config, tmp_path / slug, preset="tiny", device=device)
    assert not reused
    assert validate_findings(data, note.claim_ids) == []
    on_disk = json.loads((tmp_path / slug / "findings.json").read_text())
    assert on_disk == data
    for fig in data["figures"]:
        assert (tmp_path / slug / fig).is_file(), fig
    # every note trains through fit() or the engine, on the run's device
    assert seen, f"{slug} trained nothing through fit() or the engine"
    for fit_device, params, batch in seen:
        assert torch.device(fit_device).type == device and params <= {device} and batch <= {device}


@pytest.mark.parametrize("slug", list(NOTES))
def test_note_presets_are_valid_configs(slug):
    cls = NOTES[slug].config_cls
    for preset in ("tiny", "quick", "full"):
        cfg = cls.preset(preset)
        assert cls.from_dict(cfg.to_dict()) == cfg
    assert set(NOTES[slug].quick_decides) <= set(NOTES[slug].claim_ids)
