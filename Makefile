# The two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint audit messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/forum db upgrade
	$(BIN)/forum serve

lint: install
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench

# pip-audit asks PyPI's JSON API about every pinned package. Where only the package index is
# reachable (as in our sandbox) it cannot look packages up and says so: the count is printed.
audit: install
	@mkdir -p var
	@$(BIN)/pip-audit --progress-spinner off --skip-editable > var/pip-audit.txt 2>&1; status=$$?; \
	  head -n 1 var/pip-audit.txt; \
	  skipped=$$(grep -c "could not be audited" var/pip-audit.txt); \
	  [ "$$skipped" = 0 ] || echo "pip-audit: $$skipped packages could not be looked up (see var/pip-audit.txt)"; \
	  exit $$status

test: install lint audit
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var

# Translations: extract every UI string into translations/messages.pot; add a language with
# `.venv/bin/pybabel init -i translations/messages.pot -d translations -l fr`, compile with
# `.venv/bin/pybabel compile -d translations`.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 --no-location -o translations/messages.pot .
