# mlservice: `make run` to start everything locally, `make test` for the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := $(UV) run --frozen python
BUF := node_modules/.bin/buf
export MLSERVICE_DATA_DIR ?= $(CURDIR)/.data

.PHONY: help install tools proto proto-check lint format test run bench

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(UV):
	python3 -m pip install --user --quiet uv

install: $(UV) ## Install the Python environment from uv.lock
	$(UV) sync --frozen --compile-bytecode

$(BUF): package.json package-lock.json
	npm ci --no-audit --no-fund --silent

CHROMIUM := /usr/bin/chromium

$(CHROMIUM):  # the dashboard's browser tests drive Debian's Chromium (no browser download)
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

tools: install $(BUF) ## Install the developer tools (buf)

proto: install ## Regenerate the gRPC stubs (server/gen) and the OpenAPI spec (rest/openapi)
	$(PY) scripts/gen_proto.py

proto-check: proto ## Fail when the checked-in generated code differs from a fresh `make proto`
	git diff --exit-code -- server/gen rest/openapi
	test -z "$$(git status --porcelain -- server/gen rest/openapi)"

lint: tools ## ruff, mypy and buf lint
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
	$(PY) scripts/proto_deps.py build/proto-deps
	$(BUF) lint

format: install ## Apply ruff's fixes and formatting
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

# Test processes run side by side, whole modules each (tests/conftest.py); 0 runs them in one.
PYTEST_WORKERS ?= 2

test: tools $(CHROMIUM) ## Run the whole test suite (PYTEST_ARGS: a selection, more options)
	$(UV) run --frozen pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

run: install ## Start the gRPC server, the REST proxy and the dashboard with embedded defaults
	@mkdir -p "$(MLSERVICE_DATA_DIR)"
	@echo "gRPC 127.0.0.1:50051  REST http://127.0.0.1:8080/docs  dashboard http://127.0.0.1:8501"
	trap 'kill 0' INT TERM EXIT; \
	$(PY) -m server & \
	$(PY) -m rest & \
	$(UV) run --frozen streamlit run dashboard/app.py --server.port 8501 --server.headless true & \
	wait

include mk/deploy.mk
include mk/bench.mk

.PHONY: test-clearml
test-clearml: install $(SECRETS_ENV) ## Integration tests with ClearML (make clearml-up) and MinIO (make up)
	set -a && . ./$(SECRETS_ENV) && set +a && \
	export CLEARML_API_HOST="$${CLEARML_API_HOST:-http://localhost:8008}" \
	  CLEARML_FILES_HOST="$${CLEARML_FILES_HOST:-http://localhost:8081}" \
	  MLSERVICE_S3_ENDPOINT="$${MLSERVICE_S3_ENDPOINT:-127.0.0.1:9000}" \
	  MLSERVICE_S3_ACCESS_KEY="$${MLSERVICE_S3_ACCESS_KEY:-$$MINIO_ROOT_USER}" \
	  MLSERVICE_S3_SECRET_KEY="$${MLSERVICE_S3_SECRET_KEY:-$$MINIO_ROOT_PASSWORD}" \
	  MLSERVICE_S3_BUCKET="$${MLSERVICE_S3_BUCKET:-mlservice}" && \
	$(UV) run --frozen pytest -q -p no:cacheprovider tests/clearml_integration $(PYTEST_ARGS)
