# EdgeMdm — `make help` lists what you can do. Needs only the .NET SDK (see global.json).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

DOTNET      ?= dotnet
CONFIG      ?= Release
ARTIFACTS   := artifacts/publish
DATA        ?= data
EDGE_URL    ?= http://127.0.0.1:8080
DEVICES     ?= 200
RUN_FOR     ?= 8h
SEED        ?= edge/demo/site-seed.yaml
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

.PHONY: build
build: ## build everything and leave the commands in ./bin (edgemdm-edge, edgemdm-agent)
	$(DOTNET) build EdgeMdm.sln -c $(CONFIG) --nologo -v quiet
	$(DOTNET) publish edge/EdgeMdm.Edge -c $(CONFIG) -o $(ARTIFACTS)/edge --nologo -v quiet
	$(DOTNET) publish edge/EdgeMdm.Agent -c $(CONFIG) -o $(ARTIFACTS)/agent --nologo -v quiet
	mkdir -p bin
	ln -sfn ../$(ARTIFACTS)/edge/edgemdm-edge bin/edgemdm-edge
	ln -sfn ../$(ARTIFACTS)/agent/edgemdm-agent bin/edgemdm-agent
	@echo "built: $$(ls bin | tr '\n' ' ')"

.PHONY: run
run: build ## start the appliance on $(EDGE_URL) with a simulated fleet of $(DEVICES) devices; Ctrl-C stops all
	@mkdir -p $(DATA)/edge
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' EXIT; trap 'exit 0' INT TERM; \
	./bin/edgemdm-edge serve --data-dir $(DATA)/edge --seed $(SEED) --urls $(EDGE_URL) --checkin-interval 15 & \
	for i in $$(seq 1 100); do curl -fsS $(EDGE_URL)/healthz >/dev/null 2>&1 && break; sleep 0.2; done; \
	curl -fsS $(EDGE_URL)/healthz >/dev/null || { echo "appliance did not start"; exit 1; }; \
	token=$$(./bin/edgemdm-edge token create --data-dir $(DATA)/edge --group pickers --uses $$(( $(DEVICES) * 10 )) --expires 30d); \
	echo; \
	echo "  appliance   $(EDGE_URL)   (health: $(EDGE_URL)/healthz, API: $(EDGE_URL)/openapi/v1.json)"; \
	echo "  fleet       $(DEVICES) simulated devices enrolling with token $${token:0:8}…"; \
	echo "  try         ./bin/edgemdm-edge devices list --data-dir $(DATA)/edge"; \
	echo "              ./bin/edgemdm-edge drift --data-dir $(DATA)/edge"; \
	echo "  stop        Ctrl-C"; \
	echo; \
	./bin/edgemdm-agent simulate --server $(EDGE_URL) --token "$$token" --devices $(DEVICES) --duration $(RUN_FOR) & \
	wait -n

.PHONY: test
test: ## run every test (installs what the tests need when missing: PostgreSQL, via tests/scripts/setup.sh)
	tests/scripts/setup.sh
	$(DOTNET) build EdgeMdm.sln -c $(CONFIG) --nologo -v quiet
	$(DOTNET) test EdgeMdm.sln -c $(CONFIG) --no-build --nologo

.PHONY: bench
bench: ## measure check-ins/s and latency against a no-op endpoint; figures go to docs/benchmarks.md
	$(DOTNET) build EdgeMdm.sln -c $(CONFIG) --nologo -v quiet
	$(DOTNET) run --project tests/EdgeMdm.Bench -c $(CONFIG) --no-build -- $(BENCH_ARGS)

.PHONY: clean
clean: ## remove build output and ./data
	rm -rf bin artifacts $(DATA)
	find . -type d \( -name bin -o -name obj \) -path './*/*' -prune -exec rm -rf {} +
