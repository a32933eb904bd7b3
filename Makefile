VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export DEBUG ?= true
# The application connects as a role that owns nothing (row-level security applies to it); migrations
# run as the owner. casetracker.ensure_database creates both (README, "Database roles").
export DATABASE_URL ?= postgres://casetracker_app@127.0.0.1/casetracker
export DATABASE_OWNER_URL ?= postgres://casetracker_owner@127.0.0.1/casetracker
MIGRATE = DATABASE_URL="$$DATABASE_OWNER_URL" $(PY) manage.py migrate --no-input

.PHONY: run serve test bench install install-test browser check stress load mutation quickstart-check

# PostgreSQL and Redis at DATABASE_URL and REDIS_URL if they answer, else private ones under .services/,
# started for the command and stopped after it (devtools/local_servers.py).
SERVERS := $(PY) -m devtools.local_servers --

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test browser

# Debian's Chromium for the end-to-end test (Playwright's own browser download does not work offline).
browser:
	@test -x /usr/bin/chromium || { echo "Installing Debian's chromium for the browser test"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  ($$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  >/dev/null; }

run: install
	@$(SERVERS) $(MAKE) --no-print-directory serve

# What make run does once the servers answer at DATABASE_URL and REDIS_URL.
serve:
	$(PY) -m casetracker.ensure_database
	$(MIGRATE)
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py seed_demo
	@mkdir -p run
	@echo "Case Tracker: http://127.0.0.1:$${WEB_PORT:-8000}  (Ctrl-C stops the web server, workers, beat and private servers)"
	$(VENV)/bin/honcho start

test: install-test
	$(SERVERS) $(VENV)/bin/pytest --create-db

# From a fresh clone of HEAD, with nothing at DATABASE_URL and REDIS_URL (spare ports): make run gets the
# login page, /readyz and a passing poll, then stops with its private servers; prints the seconds it took.
# QUICKSTART_ARGS="--reuse-venv" links this .venv instead of installing a new one.
quickstart-check:
	python3 -m devtools.quickstart_check $(QUICKSTART_ARGS)

# Mutation testing of the money and request paths, module by module (docs/testing.md); not part of make test.
# Options: make mutation MODULES="cases/money.py cases/export.py" MUTATION_JOBS=2
mutation: export TEST_DATABASE_NAME ?= test_casetracker_mutation
mutation: install-test
	$(PY) -m devtools.mutation $(MODULES)
	$(PY) -m devtools.sql_mutation $(SQL_MODULES)

check: install-test
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# Its own database (2,000,000 cases) keeps the dev database small. Options: make bench BENCH_ARGS="--runs 10"
bench: export DATABASE_URL = postgres://casetracker_app@127.0.0.1/casetracker_bench
bench: export DATABASE_OWNER_URL = postgres://casetracker_owner@127.0.0.1/casetracker_bench
bench: install
	$(PY) -m casetracker.ensure_database
	$(MIGRATE)
	DATABASE_URL="$$DATABASE_OWNER_URL" $(PY) manage.py bench --generate-only
	$(PY) manage.py bench --no-generate --ingest $(BENCH_ARGS)

# The fuzz tests at full count (make test runs them with 50 examples each; FUZZ_EXAMPLES=5000 for more),
# the fault proofs at full counts (tests marked `stress`, minutes each), then the load test.
# Use your own database and broker: TEST_DATABASE_NAME=... TEST_BROKER_URL=redis://... make stress
stress: export FUZZ_EXAMPLES ?= 1000
stress: install-test
	STRESS=1 $(VENV)/bin/pytest --create-db -m "fuzz or stress" -s -p no:cacheprovider $(STRESS_ARGS)
	$(MAKE) load

# LOAD_USERS sellers (50) of as many tenants for LOAD_SECONDS (300) against the Procfile's processes on
# LOAD_PORT (8765), broker LOAD_REDIS_URL (redis://127.0.0.1:6379/14); locust's CSV in run/load.
# Fails on any failed request or a page's p95 above LOAD_P95_MS (1000).
load: export DATABASE_URL = postgres://casetracker_app@127.0.0.1/casetracker_stress
load: export DATABASE_OWNER_URL = postgres://casetracker_owner@127.0.0.1/casetracker_stress
load: install-test
	$(PY) -m casetracker.ensure_database
	$(MIGRATE)
	$(PY) manage.py load_run
