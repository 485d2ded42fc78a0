# Two commands: `make run` (app on the demo database) and `make test` (ruff + pytest).
# Both create .venv with the machine's Python (>= 3.11) and install what they need, from the
# lock files (exact versions, sha256 of every file: `pip --require-hashes`); `make lock`
# regenerates them from requirements*.txt (tools/verrouiller.py).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DB     := data/demo.duckdb
PORT   ?= 8501

.PHONY: run test test-lent demo lint bench clean lock

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "Python 3.11 ou plus récent est requis (PYTHON=$(PYTHON))."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.deps: requirements.lock | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@touch $@

$(VENV)/.deps-dev: requirements-dev.lock $(VENV)/.deps
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes \
		-r requirements-dev.lock
	@touch $@

# Regenerate the locks (same versions where they still fit; `--upgrade` for the newest):
# uv from PyPI in a throwaway environment, see tools/verrouiller.py.
lock:
	$(PYTHON) tools/verrouiller.py

$(DB): | $(VENV)/.deps
	$(PY) -m fluxcore demo --db $(DB) --scale moyen

run: $(VENV)/.deps $(DB)
	$(PY) -m streamlit run serveur.py --server.port $(PORT)

# `make test`: ruff, then every test but the three slow families (under 5 minutes on 2 cores).
# `make test-lent`: the browser tests, the benchmark run and the slow end-to-end runs (every
# bilan file, the CLI's orientation walk, the rebuild of data/ref); CI runs both.
test: $(VENV)/.deps-dev
	$(PY) -m ruff check .
	$(PY) -m pytest

test-lent: $(VENV)/.deps-dev
	$(PY) -m pytest -n 0 -m "browser or bench or lent"

demo: $(VENV)/.deps
	$(PY) -m fluxcore demo --db $(DB) --scale moyen --force

lint: $(VENV)/.deps-dev
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
