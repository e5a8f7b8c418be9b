# Two commands set everything up on a fresh machine: `make serve` and `make test`.
SHELL := /bin/bash
PYTHON_BOOT ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.deps-stamp
SERVE_STAMP := $(VENV)/.serve-stamp
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check
# A new venv's pip (ensurepip's) resolves about twice as slowly as a current one; chalice needs pip<26.3.
NEW_VENV := $(PYTHON_BOOT) -m venv $(VENV) && $(PIP_INSTALL) --upgrade "pip<26.3"
MOTO_PORT ?= 5000
PORT ?= 8000
export AWS_DEFAULT_REGION ?= eu-west-1
# MOTO_PORT given on the command line or in the environment: `make mail` / `make tick` use that emulator instead
# of the stack in .serve/stack.json.
MOTO_OVERRIDE := $(if $(filter file,$(origin MOTO_PORT)),,MOTO_PORT=$(MOTO_PORT))

.PHONY: venv serve test browser lint typecheck unit package bench load mail tick clean

# Everything (runtime, emulator, dev tools): make test, lint, typecheck, unit, package, bench.
$(STAMP): pyproject.toml scripts/deps.py
	test -x $(PY) || ($(NEW_VENV))
	$(PIP_INSTALL) $$($(PY) scripts/deps.py --dev)
	touch $(STAMP) $(SERVE_STAMP)

# Only what the local stack runs (runtime + the emulator, about half of the above): make serve, mail, tick.
$(SERVE_STAMP): pyproject.toml scripts/deps.py
	test -x $(PY) || ($(NEW_VENV))
	$(PIP_INSTALL) $$($(PY) scripts/deps.py --serve)
	touch $(SERVE_STAMP)

venv: $(STAMP)

## Run the backend locally: moto server on 127.0.0.1:$(MOTO_PORT) + chalice local on 127.0.0.1:$(PORT).
## STORE_POLICY=policies/jetrack.toml serves another store's policy (default: the stage's, policies/jetcards.toml).
serve: $(SERVE_STAMP)
	MOTO_PORT=$(MOTO_PORT) PORT=$(PORT) $(if $(STORE_POLICY),STORE_POLICY=$(STORE_POLICY)) $(PY) -m scripts.serve

## Lint, type-check and run the whole test suite (the browser tests need Debian's Chromium and axe-core: `browser`).
test: $(STAMP) browser lint typecheck unit

## The test browser: Debian's chromium (apt-get, as root) and axe-core from npm into .browser/ (scripts/browser.py).
browser: $(STAMP)
	$(PY) -m scripts.browser install

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(STAMP)
	$(VENV)/bin/mypy chalicelib app.py infra scripts emulator load

# Two workers (the machines have 2 cores); a test module stays on one worker (module fixtures, the e2e stack per
# worker).  `make unit JOBS=0` runs in one process.
JOBS ?= 2
unit: $(STAMP)
	$(PY) -m pytest $(if $(filter 0,$(JOBS)),,-n $(JOBS) --dist loadfile) $(PYTEST_ARGS)

## Write the deployable CloudFormation template (chalice package + infra/ merged) into build/.
package: $(STAMP)
	$(PY) -m infra.package build/package

## Benchmarks: prints a table (time and peak memory).
bench: $(STAMP)
	$(PY) -m bench

## A storefront's load against a fresh `make serve` stack on 127.0.0.1 (locust), then the reconciliation table,
## then the deep schemathesis profile against /openapi.json of another fresh stack (40 valid + 40 invalid requests
## per operation; `make test` runs the fast one).  LOAD_SECONDS (60), LOAD_USERS (8), LOAD_MAX_REQUESTS (20000),
## LOAD_WAIT (0.05 s between a user's requests); LOAD_FUZZ=0 leaves the deep fuzz out.
LOAD_FUZZ ?= 1
load: $(STAMP)
	$(PY) -m load
	$(if $(filter 0,$(LOAD_FUZZ)),,FUZZ_PROFILE=deep $(PY) -m pytest -q -p no:randomly -p no:cacheprovider -m slow -n $(JOBS) --dist load tests/e2e/test_openapi_fuzz_e2e.py -k deep)

## Inject a raw email into the running `make serve` stack as SES would (S3 object + SNS notification).
## The stack is found in .serve/stack.json; MOTO_PORT=... names another emulator.
mail: $(SERVE_STAMP)
	@test -n "$(FILE)" || (echo "usage: make mail FILE=path/to/message.eml" && exit 2)
	$(MOTO_OVERRIDE) $(PY) -m scripts.mail "$(FILE)"

## Run the scheduled job once against the running `make serve` stack (DRY_RUN=1 plans only).
tick: $(SERVE_STAMP)
	$(MOTO_OVERRIDE) DRY_RUN=$(DRY_RUN) $(PY) -m scripts.tick

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache .hypothesis .serve .browser
