# rumordesk: `make run` sets up and runs the demo; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint install install-test demo-setup serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# the matching kernels are compiled once at install (cached beside the code), not in a first match
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/python -m rumordesk.matching.warmup
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/python -m rumordesk.matching.warmup
	touch $@ $(STAMP)

install: $(STAMP)
install-test: $(TEST_STAMP)

## make run: set up, create/upgrade var/rumordesk.db, load the demo, serve on :8000
run: $(STAMP)
	$(BIN)/rumordesk db upgrade
	$(BIN)/rumordesk demo setup
	$(BIN)/rumordesk demo replay
	@echo ""
	@echo "  rumordesk is starting at http://127.0.0.1:$${RUMORDESK_PORT:-8000}  (API docs: http://127.0.0.1:$${RUMORDESK_PORT:-8000}/docs)"
	@echo "  demo API key:  $${RUMORDESK_DEMO_API_KEY:-rd_demo_local_only_key}"
	@echo "  try:  curl -H 'Authorization: Bearer $${RUMORDESK_DEMO_API_KEY:-rd_demo_local_only_key}' http://127.0.0.1:$${RUMORDESK_PORT:-8000}/v1/claims"
	@echo ""
	$(BIN)/rumordesk serve

## make test: set up with test extras and run the whole suite
test: $(TEST_STAMP)
	$(BIN)/pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
