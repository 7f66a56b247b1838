# Two entry points: `make lab` opens the course, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
LAB_PORT ?= 8888
# nbgrader runs alembic from PATH when it creates a gradebook, so the virtual environment comes first.
export PATH := $(BIN):$(PATH)
# Importing the reference modules would otherwise write solutions/__pycache__, which nbgrader's
# formgrader lists as an assignment.
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: lab test grading-demo browser postgresql

lab: $(VENV)/.installed
	$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(LAB_PORT) --no-browser \
		--ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

test: $(VENV)/.installed browser postgresql
	$(BIN)/python -m pytest $(PYTEST_ARGS)

grading-demo: $(VENV)/.installed
	$(BIN)/python -m autograder.round_trip build/grading-demo

# nbgrader lists every folder in solutions/ as an assignment, so the install removes the egg-info
# that the editable install leaves there; imports only need the dist-info it writes into .venv.
$(VENV)/.installed: requirements.txt pyproject.toml autograder/jupyterlab-overrides.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -rf solutions/*.egg-info
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp autograder/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

# The browser tests drive Debian's chromium through Playwright; Playwright's own browser download is not used.
browser:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else echo "The browser tests need Debian's chromium: run 'sudo apt-get install chromium'." >&2; exit 1; fi; }

# The gradebook tests start a real PostgreSQL server of their own from Debian's postgresql binaries.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
		else echo "The gradebook tests need Debian's postgresql: run 'sudo apt-get install postgresql'." >&2; exit 1; fi; }
