# Leasehold: every entry point. A fresh clone needs only `make demo` and
# `make test`; both install what is missing (and only what is missing).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SOLC_VERSION := 0.8.28
PIP := $(BIN)/pip install --disable-pip-version-check --quiet

# py-solc-x and brownie look for `solc-v<version>` in this folder: a symlink
# to tools/solc, our solc-js stand-in. Nothing ever downloads a compiler.
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYTHONWARNINGS := ignore::FutureWarning

.PHONY: install compile test test-sdk test-console console console-screenshots lint lint-py lint-sol demo gas econ fuzz audit coverage bench clean system-packages

install: $(VENV)/.installed node_modules/.installed .solcx/solc-v$(SOLC_VERSION)

# The last step compiles the matcher's numba loops (scoring, the auction, the local improvement, the packing) into
# keepers/matching/__pycache__ (some 40 s of CPU once), so that no test or keeper process pays it.
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	$(PIP) --no-deps --no-build-isolation -e .
	$(BIN)/python -c "from keepers.matching import warm_up; warm_up()"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

.solcx/solc-v$(SOLC_VERSION): | node_modules/.installed
	mkdir -p .solcx
	ln -sfn ../tools/solc $@

compile: install
	$(BIN)/brownie compile

# Debian packages the tests start themselves: dockerd (the docker backend's tests run it by
# PID, tests/delivery/docker_engine.py) and a static busybox (their FROM-scratch image).
DEBIAN_PACKAGES := docker.io busybox-static
system-packages:
	@dpkg -s $(DEBIAN_PACKAGES) >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES); }

# Drift fails CI: the linters first (seconds), then the SDK and the console in a real browser,
# then the brownie suite (contracts, keepers, delivery, campaign, faults) whose count closes the run.
test: lint compile system-packages test-sdk test-console
	$(BIN)/brownie test tests/

lint: lint-py lint-sol

# ruff (pinned in requirements.txt, configured in pyproject.toml): lint, and check the
# formatting without rewriting anything. `ruff format` and `ruff check --fix` repair.
lint-py: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Solidity formatting (prettier + prettier-plugin-solidity, .prettierrc.json) and linting (solhint:
# .solhint.json for the protocol, contracts/test/.solhint.json for the mocks). Fails on any drift.
# `npx prettier --write 'contracts/**/*.sol'` formats.
SOL_SOURCES := 'contracts/*.sol' 'contracts/{base,interfaces,libraries,types,workloads}/*.sol'
lint-sol: node_modules/.installed
	npx --no-install prettier --check 'contracts/**/*.sol'
	npx --no-install solhint --max-warnings 0 $(SOL_SOURCES)
	npx --no-install solhint --max-warnings 0 -c contracts/test/.solhint.json 'contracts/test/*.sol'

# The TypeScript SDK against a real Anvil with the protocol deployed (scripts/devnet.py, started
# and stopped by the tests). Its ABIs are regenerated from this build first.
sdk/node_modules/.installed: sdk/package.json sdk/package-lock.json
	cd sdk && npm ci --no-audit --no-fund
	touch $@

test-sdk: compile sdk/node_modules/.installed
	cd sdk && npm run gen && npm run typecheck && npm test

# The web console in Debian's Chromium (installed here when missing; playwright-core never
# downloads a browser) against Anvil with the protocol deployed and an order book.
CHROMIUM := /usr/bin/chromium
console/node_modules/.installed: console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund
	touch $@

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

console/dist/index.html: compile sdk/node_modules/.installed console/node_modules/.installed $(wildcard console/src/* console/index.html sdk/src/*)
	cd sdk && npm run gen
	cd console && npm run build

test-console: console/dist/index.html $(CHROMIUM)
	cd console && npm test

# Refreshes the screenshots of each view that the README shows.
console-screenshots: console/dist/index.html $(CHROMIUM)
	cd console && CONSOLE_SCREENSHOTS=$(CURDIR)/docs npm test

# The console on a local market at a printed URL, until Ctrl-C.
console: console/dist/index.html
	cd console && node scripts/serve.mjs

# KEEP=1 keeps the market and the console up after the scripted part, until Ctrl-C.
demo: compile console/dist/index.html
	$(BIN)/python -m scripts.demo --console $(if $(KEEP),--keep)

gas: compile
	$(BIN)/python -m scripts.gas

# The agent simulation of every strategy of issue 12 on its own Anvil; writes docs/economics.md.
# `make econ JOBS=2400 LEASES=200 SEED=1` (the defaults).
JOBS ?= 2400
LEASES ?= 200
econ: compile
	$(BIN)/python -m scripts.econ --jobs $(JOBS) --leases $(LEASES) --seed $(SEED)

# The long stateful campaign over the whole protocol: `make fuzz STEPS=50000 SEED=1`.
STEPS ?= 50000
SEED ?= 1
fuzz: compile
	$(BIN)/python -m scripts.fuzz --steps $(STEPS) --seed $(SEED)

# Slither from PyPI in a venv of its own (its pins must not move brownie's),
# run on our contracts only through the solc stand-in.
audit: compile
	scripts/audit.sh

# Line and branch coverage of the contracts: `make coverage` (all tests) or `make coverage TESTS=tests/market`.
TESTS ?= tests/
coverage: compile
	$(BIN)/python -m scripts.coverage $(TESTS)

bench: compile
	$(BIN)/python -m scripts.bench

clean:
	rm -rf build .solcx reports/*.json
