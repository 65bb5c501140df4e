# Build, check and run the hub. Needs GNU make, bash and Python 3.11; everything else is
# installed into .venv from PyPI. `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTHON ?= $(shell command -v python3.11 || command -v python3)
CLIENT_PYPROJECT := $(wildcard client/pyproject.toml)
# Only the folders present in this checkout (client/ and bench/ may not exist yet).
LINT_PATHS := $(wildcard app.py chalicelib client infra tests bench)
TYPE_PATHS := $(wildcard app.py chalicelib infra client/lgsp_client)
UNIT_PATHS := $(or $(wildcard tests/unit tests/client),tests/unit)
STAGES := dev prod
# chalice package reads the region from the environment; nothing is deployed.
export AWS_DEFAULT_REGION ?= ap-southeast-1

# $(call pytest,PATHS): pytest -q, where "no tests collected" (exit 5) is a failure.
# $(PARALLEL): one pytest-xdist worker per core (4 at most), each given whole test files
# (a file's module fixtures, e.g. its running hub, start once); the browser tests run alone.
PARALLEL := --numprocesses=auto --maxprocesses=4 --dist=loadfile
define pytest
rc=0; $(BIN)/python -m pytest -q $(1) || rc=$$?; \
if [ $$rc -eq 5 ]; then echo "error: no tests collected in: $(or $(1),tests)" >&2; fi; exit $$rc
endef

.PHONY: help venv run lint cfn unit integration e2e browser postgres browser-tests test bench clean distclean docs-screenshots

help:
	@echo "venv run lint cfn unit integration e2e browser postgres browser-tests test bench clean distclean docs-screenshots"
	@echo "(see the comments in Makefile; CI runs 'make test')"

venv: $(STAMP)

# Reinstalls only when a requirements file or the client's pyproject changes.
$(STAMP): requirements.txt requirements-dev.txt $(CLIENT_PYPROJECT)
	@is311='import sys; sys.exit(sys.version_info[:2] != (3, 11))'; \
	if ! { [ -x $(BIN)/python ] && $(BIN)/python -c "$$is311"; }; then \
	  [ -n "$(PYTHON)" ] && $(PYTHON) -c "$$is311" \
	    || { echo "error: Python 3.11 is needed (found: $(PYTHON))" >&2; exit 1; }; \
	  rm -rf $(VENV); $(PYTHON) -m venv $(VENV); \
	fi
	@# pip is resolved together with the requirements: chalice (which runs pip to build
	@# the Lambda package) caps pip's version, so a plain "upgrade pip" can break it.
	$(BIN)/python -m pip install -q --progress-bar off --upgrade pip -r requirements-dev.txt
	@if [ -f client/pyproject.toml ]; then \
	  set -x; $(BIN)/python -m pip install -q --progress-bar off -e ./client; \
	else echo "client/pyproject.toml not found: agency client not installed"; fi
	$(BIN)/python -m pip check
	@touch $@

# The single-machine host (port from LGSP_PORT, default 8000; data under var/).
run: venv
	$(BIN)/python -m infra.local.host

# Both checkers run even if the first one fails.
lint: venv
	@rc=0; \
	echo "ruff check $(LINT_PATHS)"; $(BIN)/ruff check $(LINT_PATHS) || rc=1; \
	echo "mypy $(TYPE_PATHS)"; $(BIN)/mypy $(TYPE_PATHS) || rc=1; \
	exit $$rc

# Lint the merge template alone (references to chalice's own resources and the patches of
# chalice resources cannot resolve there: E1010/E1019/E1020/E3001/W3694), then package every
# stage exactly as for a deployment (405 answers folded: infra/aws/compact_template.py) and
# lint the merged SAM template in full (cfn-lint applies the SAM transform itself; it also
# refuses a template over CloudFormation's 1 MB). Each package gets the compiled bytecode of
# its modules (infra/aws/bytecode.py: Lambda's /var/task is read-only, so a zip without
# .pyc compiles every module on every cold start). Wheels are cached in .chalice/deployments/.
cfn: venv
	$(BIN)/cfn-lint --ignore-checks E1010 E1019 E1020 E3001 W3694 -- infra/aws/*.yaml
	@out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
	for stage in $(STAGES); do \
	  SECONDS=0; \
	  echo "chalice package --merge-template infra/aws/resources.yaml --stage $$stage"; \
	  $(BIN)/chalice package --merge-template infra/aws/resources.yaml \
	    --stage $$stage "$$out/$$stage"; \
	  $(BIN)/python -m infra.aws.compact_template "$$out/$$stage/sam.yaml"; \
	  $(BIN)/python -m infra.aws.bytecode "$$out/$$stage/deployment.zip"; \
	  echo "  packaged in $${SECONDS}s; cfn-lint $$stage/sam.yaml"; \
	  $(BIN)/cfn-lint -- "$$out/$$stage/sam.yaml"; \
	done

unit: venv
	@$(call pytest,$(PARALLEL) $(UNIT_PATHS))

integration: venv postgres
	@$(call pytest,$(PARALLEL) tests/integration)

e2e: venv postgres
	@$(call pytest,$(PARALLEL) tests/e2e)

# The headless browser of the browser tests: Debian's chromium at /usr/bin/chromium (or
# LGSP_CHROMIUM), installed with apt-get when missing (sudo when not root); nothing when
# present. Playwright (PyPI) drives it; Playwright's own browser download is not used.
browser:
	@infra/local/install_browser.sh

# Debian's PostgreSQL server, for the table's contract tests on a real server.
postgres:
	@infra/local/install_postgres.sh

# Pages and sign-in flows in a real headless Chromium (tests/browser).
browser-tests: venv browser
	@$(call pytest,tests/browser)

# Runs every step even after a failure, so one CI log shows all problems; fails if any did.
# The browser is installed first (`browser`): without it the browser tests cannot run.
test: venv browser postgres
	@failed=""; \
	$(MAKE) --no-print-directory lint || failed="$$failed lint"; \
	$(MAKE) --no-print-directory cfn || failed="$$failed cfn"; \
	( $(call pytest,$(PARALLEL) --ignore=tests/browser tests) ) || failed="$$failed pytest"; \
	$(MAKE) --no-print-directory browser-tests || failed="$$failed browser-tests"; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed" >&2; exit 1; fi

# Every benchmark against the local host (docs/performance.md); BENCH_ARGS="--quick",
# "--only P1,P3" or "--size-mib 64" narrow it. P2 needs OpenSSH's server: bench-deps
# installs it when missing (never part of `make test`); without it P2 reports `skipped`.
bench: venv bench-deps postgres
	@if [ -f bench/__main__.py ]; then $(BIN)/python -m bench $(BENCH_ARGS); \
	else echo "no benchmarks yet"; fi

.PHONY: bench-deps
bench-deps:
	@command -v /usr/sbin/sshd >/dev/null || { \
	  echo "installing openssh-server for the SFTP baseline (P2)"; \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	      --no-install-recommends openssh-server openssh-client; } >/dev/null \
	  || echo "warning: openssh-server not installed; P2 will be skipped" >&2; }

# Caches and build output only; var/ (the local host's data) is kept.
clean:
	find . \( -path ./.venv -o -path ./var -o -path ./.git \) -prune -o \
	  \( -name __pycache__ -o -name '*.egg-info' \) -type d -print0 | xargs -0 -r rm -rf
	rm -rf .pytest_cache .mypy_cache .ruff_cache build dist .chalice/deployments .chalice/venv

distclean: clean
	rm -rf $(VENV) var

# The console's screenshots in docs/console.md, from the last browser-tests run.
docs-screenshots:
	@ls build/screenshots/console-*.png >/dev/null 2>&1 || { echo "run make browser-tests first"; exit 1; }
	mkdir -p docs/screenshots && cp build/screenshots/console-*.png docs/screenshots/
