# The two commands of the README, each self-contained on a machine with python3 (3.11+):
#   make plan   set up .venv, then plan every stack offline (build/plan/<stack>.json)
#   make test   set up .venv, then run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
STACK  ?= us-east-1

.PHONY: venv plan test lint check preview up clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "error: python 3.11+ is required (found $$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)  ## only set up .venv (Pulumi uses it for real previews)

plan: $(STAMP)  ## offline plan of every stack, no cloud and no credentials
	@$(BIN)/python -m offline --out build/plan

test: $(STAMP)  ## the test suite (Pulumi mocks, no cloud)
	@$(BIN)/python -m pytest -q

lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy

check: lint test plan  ## what CI runs

preview:  ## real preview of one stack (needs the Pulumi CLI and AWS credentials)
	pulumi preview --stack $(STACK) --diff

up:  ## real deployment of one stack
	pulumi up --stack $(STACK)

clean:
	rm -rf build .pytest_cache .ruff_cache
