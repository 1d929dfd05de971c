# Two commands: `make demo` (set up, run the sample article end to end) and `make test`
# (set up, lint, type-check, run the whole suite). Both create .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
ARGS ?=
# The installed name `tarjama`: links to the repository's folders (see pyproject.toml).
DEV := build/dev/tarjama

.PHONY: setup demo test lint types unit bench clean

setup: $(STAMP) $(DEV)

# build/dev/tarjama/{worker,tasks,prompts} -> ./worker, ./tasks, ./prompts: what an editable
# install puts on the path, so the code imports `tarjama.worker` here as it does installed.
$(DEV):
	mkdir -p $(DEV)
	for pkg in worker tasks prompts; do ln -sfn ../../../$$pkg $(DEV)/$$pkg; done

# torch first, pinned: `pip install torch==2.13.0` is the CPU wheel this machine carries;
# any other torch request downloads a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(DEV)
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[worker,embedded,flower,eval]"
	$(PY) -m pip install --quiet --group dev
	touch $(STAMP)

demo: setup
	$(VENV)/bin/tarjama demo $(ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: setup
	$(VENV)/bin/mypy

unit: setup
	$(PY) -m pytest $(ARGS)

test: lint types unit

bench: setup
	$(PY) -m benchmarks $(ARGS)

clean:
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache
