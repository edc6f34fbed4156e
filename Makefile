# aifinops: `make synth` builds the reference deployment, `make test` runs every test, `make check` runs the
# security review. They create .venv (Python deps), node_modules (CDK CLI + Node 22) and .venv-checkov (checkov,
# apart: it pins an old boto3) on first use, and again when pyproject.toml, package-lock.json or
# requirements/checkov.txt change.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
CHECKOV_VENV := .venv-checkov
CONFIG ?= finops.yaml
CDK_OUT ?= cdk.out
REPORTS ?= reports
# Node 22 from npm first on PATH: jsii and the CDK CLI then run on a supported Node.
export PATH := $(CURDIR)/node_modules/.bin:$(BIN):$(PATH)

.PHONY: help deps synth test lint check bench clean

help:
	@echo "make synth   validate $(CONFIG), synthesize the reference deployment into $(CDK_OUT), print the report"
	@echo "make test    lint (ruff, mypy) and run the test suite"
	@echo "make check   security review of a fresh synth of $(CONFIG): CDK validation plugins (cdk-nag packs), checkov,"
	@echo "             cfn-lint; one verdict (exit 1 on any unacknowledged finding), SARIF + JUnit in $(REPORTS)/"
	@echo "make bench   benchmarks: synth scaling, guard API calls and time (see bench/RESULTS.md)"
	@echo "make clean   remove generated output and installed tools"

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CHECKOV_VENV)/.installed: requirements/checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/checkov.txt
	touch $@

deps: $(VENV)/.installed node_modules/.installed

synth: deps
	$(BIN)/aifinops validate $(CONFIG)
	cdk synth --quiet --output $(CDK_OUT) -c aifinops:config=$(CONFIG)
	$(BIN)/aifinops report $(CDK_OUT)

lint: deps
	$(BIN)/ruff check aifinops aifinops_runtime tests bench app.py
	$(BIN)/mypy

test: lint $(CHECKOV_VENV)/.installed
	$(BIN)/python -m pytest

check: deps $(CHECKOV_VENV)/.installed
	$(BIN)/aifinops check --config $(CONFIG) --output $(REPORTS)

bench: deps
	$(BIN)/python bench/synth_scale.py
	$(BIN)/python bench/guard_scale.py
	$(BIN)/python bench/guard_traps.py

clean:
	rm -rf $(CDK_OUT) $(VENV) $(CHECKOV_VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis $(REPORTS)
