# The verbs a newcomer looks for. Only python3 (3.11+) and make are needed on the machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@# Debian's python3 without python3-venv has no ensurepip: a venv without pip, then pip
	@# from PyPI (tools/bootstrap_pip.py).
	$(PYTHON) -m venv $(VENV) || { $(PYTHON) -m venv --clear --without-pip $(VENV) \
		&& $(PYTHON) tools/bootstrap_pip.py $(VENV); } \
		|| { echo "could not make $(VENV); on Debian: apt install python3-venv" >&2; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## make run: the whole service on embedded Redis and SQLite (env vars override, see README)
run: $(STAMP)
	$(PY) -m bot serve

## make test: the whole test suite (real Redis: $$REDIS_URL or embedded; SQLite, and
## PostgreSQL too when $$TEST_DATABASE_URL is set)
test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) bench/bench_webhook.py
	$(PY) bench/bench_instructions.py
	$(PY) bench/bench_nlp.py
	$(PY) bench/bench_escalation.py
	$(PY) bench/bench_admin.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
