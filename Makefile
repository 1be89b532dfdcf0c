# duban: `make run` sets up and starts everything; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

ASSETS := service/web/assets
VENDOR := service/web/static/vendor

.PHONY: run test test-pg test-cold bench lint venv assets browser clean

venv: $(STAMP)

# Front-end libraries, pinned in package-lock.json, copied to where the pages serve them from.
assets: $(VENDOR)/.stamp

$(VENDOR)/.stamp: $(ASSETS)/package.json $(ASSETS)/package-lock.json
	cd $(ASSETS) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bpmn-js $(VENDOR)/swagger-ui
	cp $(ASSETS)/node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js $(VENDOR)/bpmn-js/
	cp -r $(ASSETS)/node_modules/bpmn-js/dist/assets/. $(VENDOR)/bpmn-js/
	cp $(ASSETS)/node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	cp $(ASSETS)/node_modules/swagger-ui-dist/{swagger-ui.css,swagger-ui-bundle.js,swagger-ui-standalone-preset.js} $(VENDOR)/swagger-ui/
	touch $@

# The browser tests drive Debian's Chromium (never a downloaded browser) and need a CJK font,
# without which every Chinese character renders as a box.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi wqy; then \
		apt-get install -y chromium fonts-wqy-microhei || \
		{ apt-get update && apt-get install -y chromium fonts-wqy-microhei; }; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: venv assets
	$(BIN)/duban db upgrade
	$(BIN)/duban demo load
	$(BIN)/duban serve $(if $(PORT),--port $(PORT))

test: venv assets browser
	$(BIN)/pytest -q

# The same suite on PostgreSQL (what .ci/run does second).
test-pg: venv assets browser
	DUBAN_TEST_DATABASE_URL=$${DUBAN_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/pytest -q

# The tests that run cycles through the service, again with a cold engine (tests/helpers.py ENGINE_MODE):
# [engine] live_cycles = 0 and a new engine for every unit of work, as steps landing on other processes.
COLD_TESTS := tests/service/operations/cycles tests/service/operations/supervision \
	tests/service/operations/year/test_closing.py tests/service/api/test_http_cycle.py \
	tests/service/api/test_moves.py tests/service/api/test_supervision_endpoints.py
test-cold: venv
	DUBAN_TEST_ENGINE=cold $(BIN)/pytest -q $(COLD_TESTS)

bench: venv
	$(BIN)/python -m bench

lint: venv
	$(BIN)/ruff check workflows service db tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(VENDOR) $(ASSETS)/node_modules
