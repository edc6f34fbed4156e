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

.PHONY: help deps deps-runtime synth test lint check bench package clean

help:
	@echo "make synth   validate $(CONFIG), synthesize the reference deployment into $(CDK_OUT), print the report"
	@echo "make test    lint (ruff, mypy) and run the test suite"
	@echo "make check   security review of a fresh synth of $(CONFIG): CDK validation plugins (cdk-nag packs), checkov,"
	@echo "             cfn-lint; one verdict (exit 1 on any unacknowledged finding), SARIF + JUnit in $(REPORTS)/"
	@echo "make bench   benchmarks: synth scaling, guard API calls and time (see bench/RESULTS.md)"
	@echo "make package build the wheel and sdist into dist/, install the wheel into a fresh virtualenv and"
	@echo "             synthesize an example app with it"
	@echo "make clean   remove generated output and installed tools"

# synth needs the runtime dependencies only; test and check add the dev ones (pytest, moto, mypy ...).
$(VENV)/.runtime: pyproject.toml
	@echo "installing aifinops and its runtime dependencies into $(VENV) (first run: a few minutes)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -e . | { grep -v '^Requirement already' || true; }
	touch $@

$(VENV)/.installed: $(VENV)/.runtime
	@echo "installing the development dependencies into $(VENV)"
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

# Debian packages installed once, with root (CI runs as root) or sudo: headless Chromium renders the weekly report
# page in the tests; libfaketime lets the guard benchmark make moto's resources hours old.
SUDO = $$( [ "$$(id -u)" = 0 ] || echo sudo )
APT_INSTALL = $(SUDO) apt-get install -y --no-install-recommends $(1) \
	  || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends $(1); }
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "installing Debian's chromium for the report rendering test"
	$(call APT_INSTALL,chromium)

FAKETIME := /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
$(FAKETIME):
	@echo "installing Debian's faketime for the guard benchmark"
	$(call APT_INSTALL,faketime)

deps-runtime: $(VENV)/.runtime node_modules/.installed

synth: deps-runtime
	$(BIN)/aifinops validate $(CONFIG)
	cdk synth --quiet --output $(CDK_OUT) -c aifinops:config=$(CONFIG)
	$(BIN)/aifinops report $(CDK_OUT)

lint: deps
	$(BIN)/ruff check aifinops aifinops_runtime tests bench app.py
	$(BIN)/mypy

test: lint $(CHECKOV_VENV)/.installed $(CHROMIUM)
	$(BIN)/python -m pytest

check: deps $(CHECKOV_VENV)/.installed
	$(BIN)/aifinops check --config $(CONFIG) --output $(REPORTS)

bench: deps $(FAKETIME)
	$(BIN)/python bench/synth_scale.py
	$(BIN)/python bench/guard_scale.py
	$(BIN)/python bench/guard_traps.py

# The released artifacts work outside this repository: build them, install the wheel alone into a fresh
# virtualenv (dependencies from the package index) and synthesize the README's own-app example with it.
package: deps
	rm -rf dist build  # setuptools leaves stale modules in build/lib: a wheel must not ship them
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .
	$(BIN)/python -m build --sdist --outdir dist . > /dev/null
	$(PYTHON) -m venv build/package-venv
	build/package-venv/bin/python -m pip install --quiet --disable-pip-version-check dist/aifinops-*.whl
	cd build && PATH=$(CURDIR)/node_modules/.bin:$$PATH package-venv/bin/python $(CURDIR)/tests/package_smoke.py \
		$(CURDIR)/finops.yaml

clean:
	rm -rf $(CDK_OUT) $(VENV) $(CHECKOV_VENV) node_modules dist build .pytest_cache .mypy_cache .ruff_cache .hypothesis $(REPORTS)
