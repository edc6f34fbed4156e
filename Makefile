# aifinops: `make synth` builds the reference deployment, `make test` runs every test.
# Both create .venv (Python deps) and node_modules (CDK CLI + Node 22) on first use, and again
# when pyproject.toml or package-lock.json change.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
CONFIG ?= finops.yaml
CDK_OUT ?= cdk.out
# Node 22 from npm first on PATH: jsii and the CDK CLI then run on a supported Node.
export PATH := $(CURDIR)/node_modules/.bin:$(BIN):$(PATH)

.PHONY: help deps synth test lint check bench clean

help:
	@echo "make synth   validate $(CONFIG), synthesize the reference deployment into $(CDK_OUT), print the report"
	@echo "make test    lint (ruff, mypy) and run the test suite"
	@echo "make check   security review (cdk-nag, checkov, cfn-lint): arrives with issue 7"
	@echo "make bench   benchmarks (see bench/RESULTS.md)"
	@echo "make clean   remove generated output and installed tools"

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps: $(VENV)/.installed node_modules/.installed

synth: deps
	$(BIN)/aifinops validate $(CONFIG)
	cdk synth --quiet --output $(CDK_OUT) -c aifinops:config=$(CONFIG)
	$(BIN)/aifinops report $(CDK_OUT)

lint: deps
	$(BIN)/ruff check aifinops tests bench app.py
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

check: deps
	@echo "make check: cdk-nag (AiFinOps + AwsSolutions), checkov and cfn-lint arrive with issue 7; nothing was checked."
	@exit 1

bench: deps
	$(BIN)/python bench/synth_scale.py

clean:
	rm -rf $(CDK_OUT) $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis reports
