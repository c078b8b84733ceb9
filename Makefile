# CX Portal: `make run` for the demo site, `make test` for the whole suite,
# `make manage ARGS="generate_cases --count 1000"` for a management command
# with the demo site's settings.
# All work on a fresh clone: they create .venv and install the pinned
# requirements, again only when a requirements file has changed.
# Extra arguments: make run RUN_ARGS="--port 8001", make test TEST_ARGS="tests/dashboards".

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
RUN_ARGS ?=
TEST_ARGS ?=
ARGS ?=

.PHONY: run test manage lint install messages fuzz

install: $(STAMP)

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 (or python3) is needed." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# The stamp is newer than the requirements once they are installed.
$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: install
	DEBUG=1 $(BIN)/python manage.py runportal --demo $(RUN_ARGS)

# The settings `make run` uses (DEBUG on, so no SECRET_KEY to set; var/ and
# its SQLite database unless CX_VAR_DIR or DATABASE_URL say otherwise).
manage: install
	DEBUG=1 $(BIN)/python manage.py $(ARGS)

# The whole suite on SQLite (the default), then again on a throwaway
# PostgreSQL on loopback (browser tests excepted: they test pages, not SQL).
test: install
	$(BIN)/pytest $(TEST_ARGS)
	$(BIN)/python scripts/postgres.py $(BIN)/pytest -p no:cacheprovider -m "not browser" $(TEST_ARGS)

# The property-based fuzzers (tests/fuzz) at length, on SQLite then PostgreSQL;
# `make test` runs them with 40 examples per property.
FUZZ_EXAMPLES ?= 2000
fuzz: install
	CX_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -p no:cacheprovider tests/fuzz
	CX_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python scripts/postgres.py $(BIN)/pytest -p no:cacheprovider tests/fuzz

# mypy loads the settings (django-stubs): DEBUG=1 spares it a SECRET_KEY.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/mypy

# Refresh the Spanish catalogue after changing user-facing text, translate
# the new entries in locale/es/LC_MESSAGES/django.po, then compile.
messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages -l es --no-location --no-obsolete \
		-i ".venv/*" -i "static/*" -i "staticfiles/*" -i "tests/*" -i "scripts/*" -i "bench/*"
	DEBUG=1 $(BIN)/python manage.py compilemessages -l es
