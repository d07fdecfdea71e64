# Every target a developer or CI needs. `make test` does all the set-up the tests need on a fresh
# machine of this project's kind (Debian, root, PostgreSQL on 127.0.0.1:5432) and then runs them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
export TEST_DATABASE_URL

# Debian packages the tests use: a real registry, skopeo (operator baseline in the bench),
# htpasswd (bcrypt users for the Basic-auth registry), openssl (token-auth certificates),
# kubectl (renders the kustomize base in deploy/; Debian's package is kubernetes-client), Prometheus and
# promtool (scrape /metrics), PgBouncer (replicas behind transaction pooling), curl and jq (the README's
# walk-through is run as printed).
# Each tool with the package that brings it: only the packages of missing tools are installed, so a
# tool already there from another package (kubectl from Kubernetes' own repository) is left alone.
TEST_TOOLS := /usr/bin/docker-registry:docker-registry /usr/bin/skopeo:skopeo /usr/bin/htpasswd:apache2-utils \
  /usr/bin/openssl:openssl /usr/bin/kubectl:kubernetes-client /usr/bin/redis-server:redis-server \
  /usr/bin/prometheus:prometheus /usr/bin/promtool:prometheus /usr/sbin/pgbouncer:pgbouncer /usr/bin/jq:jq /usr/bin/curl:curl

.PHONY: help install start dev test test-deps test-db typecheck lint format format-check openapi openapi-check client-check migrate bench docker docker-pin

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

install: ## Install dependencies exactly as locked
	npm ci --no-audit --no-fund

start: ## Run the service (embedded database unless DATABASE_URL is set)
	npm start

dev: ## Run with reload on change
	npm run dev

test-deps: ## Install the Debian packages the tests need, if missing
	@packages=$$(for pair in $(TEST_TOOLS); do [ -x $${pair%%:*} ] || echo $${pair#*:}; done | sort -u | tr '\n' ' '); \
	if [ -n "$$packages" ]; then \
	  echo "installing $$packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$packages >/dev/null; \
	fi

test-db: ## Make sure PostgreSQL and Redis run and the test database exists
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@psql "$${TEST_DATABASE_URL%/*}/postgres" -tAc "select 1 from pg_database where datname = 'test'" | grep -q 1 || \
	  psql "$${TEST_DATABASE_URL%/*}/postgres" -c 'create database test' >/dev/null
	@# Redis (shared rate-limit counters) on 127.0.0.1:6379, keeping nothing on disk.
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no --dir /tmp >/dev/null
	@for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done

typecheck: ## TypeScript, strict
	npx tsc -p tsconfig.json --noEmit

lint: ## ESLint with typescript-eslint
	npx eslint .

format: ## Lay the code out with Prettier
	npm run format

format-check: ## Fail when Prettier would change the layout
	npm run format:check

openapi: ## Regenerate openapi/openapi.json from the route schemas
	npm run openapi

openapi-check: ## Fail when the committed contract is stale; lint it
	npm run openapi:check

client-check: ## Fail when the typed client (src/client/openapi.d.ts) is stale against the contract
	npm run client:check

migrate: ## Apply migrations to DATABASE_URL (or the embedded database), from the compiled code
	npm run migrate

test: install test-deps test-db typecheck lint format-check openapi-check client-check ## Everything CI runs
	npm run test:coverage

bench: install test-deps test-db ## Resolve and check benchmarks, after the same set-up as the tests (README has the latest figures)
	npm run bench

# The base image's tag, written next to its pinned digest in the Dockerfile.
NODE_IMAGE_TAG := $(shell sed -n 's/^\#   tag: //p' Dockerfile)

docker: ## Build the container image (base image pinned by digest in the Dockerfile)
	docker build -t ci-image-store .

docker-pin: ## Pin the Dockerfile's base image tag to the digest its registry serves now
	@digest=$$(docker buildx imagetools inspect $(NODE_IMAGE_TAG) --format '{{json .Manifest.Digest}}' | tr -d '"') && \
	  [[ $$digest == sha256:* ]] && sed -i "s|^ARG NODE_IMAGE=.*|ARG NODE_IMAGE=$(NODE_IMAGE_TAG)@$$digest|" Dockerfile && \
	  echo "base image pinned: $(NODE_IMAGE_TAG)@$$digest"
