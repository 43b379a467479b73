# The two commands: `make demo` and `make test`. Both build the virtualenv from
# requirements.lock first, so a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint format lock bench serve clean messages

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "wuyi needs Python 3.11 or newer; set PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $@

demo: $(STAMP)
	$(BIN)/wuyi demo

test: $(STAMP)
	@bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf /tmp/wuyi-lock && $(PYTHON) -m venv /tmp/wuyi-lock
	/tmp/wuyi-lock/bin/pip install -q --upgrade pip
	/tmp/wuyi-lock/bin/pip install -q -e '.[dev]'
	{ echo "# Exact versions of every dependency (direct and transitive), installed by \`make\`."; \
	  echo "# Regenerate after changing pyproject.toml: make lock"; \
	  /tmp/wuyi-lock/bin/pip freeze --exclude-editable | grep -v '^wuyi'; } > requirements.lock

# Refresh the English catalogs from the Chinese msgids, then compile them (commit the .po and .mo
# files): django for templates and Python, djangojs for the pages' own scripts (served at /jsi18n/).
messages: $(STAMP)
	cd src/wuyi && WUYI_DATA_DIR=$(CURDIR)/data ../../$(BIN)/wuyi makemessages -l en --ignore=.venv --ignore=node_modules
	cd src/wuyi && WUYI_DATA_DIR=$(CURDIR)/data ../../$(BIN)/wuyi makemessages -d djangojs -l en --ignore=.venv --ignore=node_modules --ignore=vendor
	cd src/wuyi && WUYI_DATA_DIR=$(CURDIR)/data ../../$(BIN)/wuyi compilemessages -l en --ignore=.venv --ignore=node_modules

serve: $(STAMP)
	$(BIN)/wuyi serve

clean:
	rm -rf $(VENV) data
