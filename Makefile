# The two commands of the README, each self-contained on a machine with python3 (3.11+):
#   make plan   set up .venv, then plan every stack offline (build/plan/<stack>.json)
#   make test   set up .venv, then run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
STACK  ?= us-east-1

.PHONY: venv plan verify benchmark drill promote failback urns compare diff test lint check preview up clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "error: python 3.11+ is required (found $$($(PYTHON) --version))"; exit 1; }
	@set -e; started=$$(date +%s); \
	if ! test -x $(BIN)/pip; then \
	  echo "venv        creating $(VENV) with $$($(PYTHON) --version)"; \
	  $(PYTHON) -m venv --clear $(VENV); \
	fi; \
	count=$$(cat requirements.txt requirements-dev.txt | grep -cvE '^[[:space:]]*(#|-r |$$)' || true); \
	echo "venv        installing $$count requirements into $(VENV) (pip; the first time takes minutes)"; \
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt; \
	rm -f $(VENV)/.installed-*; touch $@; \
	echo "venv        ready in $$(( $$(date +%s) - started )) s"

venv: $(STAMP)  ## only set up .venv (Pulumi uses it for real previews)

plan: $(STAMP)  ## offline plan of every stack and its checks, no cloud and no credentials
	@$(BIN)/python -m offline --out build/plan --docs docs

verify: $(STAMP)  ## the checks alone, on the plan files make plan wrote
	@$(BIN)/python -m offline.verify --plans build/plan

benchmark: $(STAMP)  ## make plan's time against importing the SDKs (ratio)
	@$(BIN)/python -m offline.benchmark

drill: $(STAMP)  ## rehearse promotion and failback offline: what each step changes, and where
	@$(BIN)/python -m offline.drill

promote: $(STAMP)  ## the runbook's promotion on the stack files: make promote REGION=us-west-2 [DRY_RUN=1]
	@$(BIN)/python -m offline.promote $(REGION) $(if $(DRY_RUN),--dry-run)

failback: $(STAMP)  ## failback on the stack files: make failback REGION=us-east-1 STEP=1|2 [DRY_RUN=1]
	@$(BIN)/python -m offline.failback $(REGION) --step $(STEP) $(if $(DRY_RUN),--dry-run)

urns: $(STAMP)  ## record the URNs of both stacks (docs/urns); refuses a URN gone without an alias unless FORGET=1
	@$(BIN)/python -m offline.urns --write $(if $(FORGET),--forget)

compare: $(STAMP)  ## resources of a git revision and the working tree, by type and name: make compare BASE=main
	@$(BIN)/python -m offline.compare --base $(or $(BASE),HEAD)

diff: $(STAMP)  ## offline preview of a change: make diff BASE=origin/main (Markdown, also build/diff.md)
	@$(BIN)/python -m offline.diff --base $(or $(BASE),HEAD)

test: $(STAMP)  ## the test suite (Pulumi mocks, no cloud)
	@$(BIN)/python -m pytest -q

lint: $(STAMP)  ## ruff; mypy (strict on components, config, policy: see pyproject.toml)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy

check: lint test plan  ## what CI runs

POLICY_STAMP := policy/venv/.installed-$(shell cksum < policy/requirements.txt | cut -d' ' -f1)

$(POLICY_STAMP): policy/requirements.txt
	@test -x policy/venv/bin/pip || $(PYTHON) -m venv --clear policy/venv
	@policy/venv/bin/python -m pip install --quiet --disable-pip-version-check -r policy/requirements.txt
	@rm -f policy/venv/.installed-* && touch $@

preview: $(STAMP) $(POLICY_STAMP)  ## real preview of one stack with the policy pack (Pulumi CLI, AWS credentials)
	pulumi preview --stack $(STACK) --diff --policy-pack policy

up: $(STAMP) $(POLICY_STAMP)  ## real deployment of one stack; mandatory policies block it
	pulumi up --stack $(STACK) --policy-pack policy

clean:
	rm -rf build .pytest_cache .ruff_cache .mypy_cache
