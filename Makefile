# Two commands: `make demo` (set up, run the sample article end to end) and `make test`
# (set up, lint, type-check, run the whole suite). Both create .venv on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
ARGS ?=

.PHONY: setup demo test lint types unit bench clean

setup: $(STAMP)

# torch first, pinned: `pip install torch==2.13.0` is the CPU wheel this machine carries;
# any other torch request downloads a multi-GB CUDA build.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[worker,embedded,flower,eval]"
	$(PY) -m pip install --quiet --group dev
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/tarjama demo $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest $(ARGS)

test: lint types unit

bench: $(STAMP)
	$(PY) -m benchmarks $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
