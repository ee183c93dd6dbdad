# The two README commands are `make run` and `make test`; everything else here serves them and CI.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Where `make run` serves: `make run PORT=8001`; `make run HOST=0.0.0.0` listens on every interface
# (then set ALLOWED_HOSTS to the name clients use).
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint layers format migrations-check schema-check ci-checks bench clean

$(STAMP): requirements.txt requirements-dev.txt client/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

## Install, migrate, load the demo registry and serve on http://$(HOST):$(PORT) (default 127.0.0.1:8000)
run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Install and run the whole test suite (PYTEST_ARGS adds options, e.g. PYTEST_ARGS="-k tokens")
test: $(STAMP)
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

schema-check: $(STAMP)
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

## The layers contract: components_app -> packages_app -> registry (pyproject.toml [tool.importlinter])
layers: $(STAMP)
	$(BIN)/lint-imports

ci-checks: lint layers migrations-check schema-check

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
