# EdgeMdm — `make help` lists what you can do. Needs only the .NET SDK (see global.json).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

DOTNET      ?= dotnet
CONFIG      ?= Release
ARTIFACTS   := artifacts/publish
DATA        ?= data
EDGE_URL    ?= https://127.0.0.1:8443
EDGE_HTTP   ?= http://127.0.0.1:8080
HUB_URL     ?= http://127.0.0.1:9080
HUB_GRPC    ?= http://127.0.0.1:9081
MQTT        ?= 127.0.0.1:8883
SITE        ?= Demo DC
DEVICES     ?= 200
RUN_FOR     ?= 8h
SEED        ?= edge/demo/site-seed.yaml
ARCHES      ?= arm64 amd64
VERSION     ?= $(shell cat images/VERSION)
# Build output a person can follow: on a terminal each project builds live with a clock, in a log one line per project.
BUILD_FLAGS ?= --nologo -tl:auto -v minimal
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

.PHONY: build
build: ## build everything and leave the commands in ./bin (edgemdm-edge, edgemdm-agent, edgemdm-cloud, edgemdm)
	@echo "==> [1/5] building EdgeMdm.sln ($(CONFIG)); a first build restores packages and takes a few minutes"
	$(DOTNET) build EdgeMdm.sln -c $(CONFIG) $(BUILD_FLAGS)
	@echo "==> [2/5] publishing the appliance (edgemdm-edge)"
	$(DOTNET) publish edge/EdgeMdm.Edge -c $(CONFIG) -o $(ARTIFACTS)/edge $(BUILD_FLAGS)
	@echo "==> [3/5] publishing the agent (edgemdm-agent)"
	$(DOTNET) publish edge/EdgeMdm.Agent -c $(CONFIG) -o $(ARTIFACTS)/agent $(BUILD_FLAGS)
	@echo "==> [4/5] publishing the hub (edgemdm-cloud)"
	$(DOTNET) publish cloud/EdgeMdm.Cloud -c $(CONFIG) -o $(ARTIFACTS)/cloud $(BUILD_FLAGS)
	@echo "==> [5/5] publishing the admin CLI (edgemdm)"
	$(DOTNET) publish cloud/EdgeMdm.Cli -c $(CONFIG) -o $(ARTIFACTS)/cli $(BUILD_FLAGS)
	mkdir -p bin
	ln -sfn ../$(ARTIFACTS)/edge/edgemdm-edge bin/edgemdm-edge
	ln -sfn ../$(ARTIFACTS)/agent/edgemdm-agent bin/edgemdm-agent
	ln -sfn ../$(ARTIFACTS)/cloud/edgemdm-cloud bin/edgemdm-cloud
	ln -sfn ../$(ARTIFACTS)/cli/edgemdm bin/edgemdm
	@echo "built: $$(ls bin | tr '\n' ' ')"

.PHONY: run
run: build ## start the cloud hub, one site appliance (announced over mDNS on loopback only) and a simulated fleet of $(DEVICES) devices; Ctrl-C stops all
	@mkdir -p -m 700 $(DATA)/edge $(DATA)/cloud
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' EXIT; trap 'exit 0' INT TERM; \
	wait_healthy() { for i in $$(seq 1 150); do curl -fsS "$$1/healthz" >/dev/null 2>&1 && return 0; sleep 0.2; done; echo "$$2 did not start"; exit 1; }; \
	./bin/edgemdm-cloud serve --database $(DATA)/cloud --rest-url $(HUB_URL) --grpc-url $(HUB_GRPC) --rollout-watch-interval 00:00:02 & \
	wait_healthy $(HUB_URL) "the cloud hub"; \
	./bin/edgemdm login --server $(HUB_URL) --token "$$(./bin/edgemdm-cloud admin-token create --name demo-admin --database $(DATA)/cloud)" >/dev/null; \
	if [ ! -s $(DATA)/edge/site-credential ]; then \
	  (umask 077; ./bin/edgemdm sites add "$(SITE)" | awk '/^credential/ {print $$2}' > $(DATA)/edge/site-credential); fi; \
	site=$$(./bin/edgemdm sites list --json | tr ',{' '\n\n' | sed -n 's/.*"siteId": *"\([^"]*\)".*/\1/p' | head -n 1); \
	./bin/edgemdm blueprints apply -f $(SEED) >/dev/null; \
	if [ ! -s $(DATA)/cloud/console-account.txt ]; then \
	  (umask 077; ./bin/edgemdm accounts add it-admin --role tenant-admin --json | sed -n 's/.*"password": *"\([^"]*\)".*/\1/p' > $(DATA)/cloud/console-account.txt); fi; \
	token=$$(./bin/edgemdm tokens create --site "$$site" --group pickers --uses $$(( $(DEVICES) * 10 )) --expires 30d); \
	now_plus() { date -d "$$1" +%H:%M; }; \
	shifts="$$(now_plus '-5 hours')-$$(now_plus '+4 minutes'),$$(now_plus '+14 minutes')-$$(now_plus '+8 hours 14 minutes')"; \
	set -a; . edge/demo/floor.env; set +a; \
	EDGEMDM_Edge__Shifts__Shifts__0__Name=day EDGEMDM_Edge__Shifts__Shifts__0__Start=$$(now_plus '-5 hours') EDGEMDM_Edge__Shifts__Shifts__0__End=$$(now_plus '+4 minutes') \
	EDGEMDM_Edge__Shifts__Shifts__1__Name=next EDGEMDM_Edge__Shifts__Shifts__1__Start=$$(now_plus '+14 minutes') EDGEMDM_Edge__Shifts__Shifts__1__End=$$(now_plus '+8 hours 14 minutes') \
	EDGEMDM_Edge__Shifts__MissingAfterMinutes=2 EDGEMDM_Edge__Shifts__ReadinessBeforeMinutes=12 \
	EDGEMDM_Edge__Mdns__Interfaces__0=lo ./bin/edgemdm-edge serve --data-dir $(DATA)/edge --urls "$(EDGE_URL);$(EDGE_HTTP)" --checkin-interval 15 \
	  --mqtt-listen $(MQTT) --hub $(HUB_GRPC) --site-credential-file $(DATA)/edge/site-credential --sync-interval 2 & \
	wait_healthy $(EDGE_HTTP) "the appliance"; \
	pin=$$(./bin/edgemdm-edge tls show --json --data-dir $(DATA)/edge | sed -n 's/.*"pin":"\([0-9a-f]*\)".*/\1/p'); \
	for i in $$(seq 1 100); do ./bin/edgemdm-edge token list --data-dir $(DATA)/edge --json | grep -q '"group"' && break; sleep 0.2; done; \
	./bin/edgemdm-edge mqtt-clients remove bay-3 --data-dir $(DATA)/edge >/dev/null 2>&1 || true; \
	cradle_secret=$$(./bin/edgemdm-edge mqtt-clients add bay-3 --role cradle --json --data-dir $(DATA)/edge | sed -n 's/.*"secret": *"\([^"]*\)".*/\1/p'); \
	./bin/edgemdm-edge simulate-cradle --cradle bay-3 --secret "$$cradle_secret" --broker mqtts://$(MQTT) --ca $(DATA)/edge/tls/site-ca.pem \
	  --follow-devices --duration $(RUN_FOR) --data-dir $(DATA)/edge >/dev/null & \
	echo; \
	echo "  cloud hub   $(HUB_URL)   (REST, healthz; gRPC sync on $(HUB_GRPC))"; \
	echo "  appliance   $(EDGE_URL)   (site $$site; health: $(EDGE_HTTP)/healthz, API: $(EDGE_URL)/openapi/v1.json; $(EDGE_HTTP) redirects)"; \
	echo "  supervisor  $(EDGE_URL)/   (the supervisor's page: sign in as breakglass, password $$(sed -n 's/^password: //p' $(DATA)/edge/break-glass-admin.txt))"; \
	echo "  console     $(HUB_URL)/   (central IT's console: sign in as it-admin, password $$(cat $(DATA)/cloud/console-account.txt))"; \
	echo "  site TLS    pin $$pin   (./bin/edgemdm-edge tls show --data-dir $(DATA)/edge; curl --cacert $(DATA)/edge/tls/site-ca.pem)"; \
	echo "  broker      mqtts://$(MQTT)  (TLS, site CA $(DATA)/edge/tls/site-ca.pem; device wakes, cradle telemetry; ./bin/edgemdm-edge mqtt status --data-dir $(DATA)/edge)"; \
	echo "  fleet       $(DEVICES) simulated devices enrolling with token $${token:0:8}…"; \
	echo "  floor       cradles gpio-1, gpio-2 (simulated GPIO) and bay-3 (MQTT, simulate-cradle); spare pools TC52 and TC58; shifts $$shifts"; \
	echo "  try         ./bin/edgemdm sites list            ./bin/edgemdm devices list"; \
	echo "              ./bin/edgemdm report drift          ./bin/edgemdm-edge sync status --data-dir $(DATA)/edge"; \
	echo "              ./bin/edgemdm-edge devices list --data-dir $(DATA)/edge"; \
	echo "              ./bin/edgemdm-edge cradles|spares list|readiness|missing|batteries|alerts --data-dir $(DATA)/edge"; \
	echo "              ./bin/edgemdm-edge swap start SERIAL --reason 'cracked screen' --data-dir $(DATA)/edge"; \
	echo "  stop        Ctrl-C"; \
	echo; \
	./bin/edgemdm-agent simulate --server $(EDGE_URL) --pin "$$pin" --token "$$token" --devices $(DEVICES) --duration $(RUN_FOR) \
		--storage-full 0.05 --offline 0.02 --offline-for 10m --cradles gpio-1:8,gpio-2:8,bay-3:10 --shift-pattern "$$shifts" & \
	sleep 20; bash edge/demo/spares.sh ./bin/edgemdm-edge $(DATA)/edge || echo "spare pools not set up: see edge/demo/spares.sh"; \
	wait -n

.PHONY: image
image: ## build the appliance's .deb per architecture (ARCHES="arm64 amd64", VERSION from images/VERSION): self-contained ReadyToRun appliance and agent, systemd unit, maintainer scripts, into artifacts/image/ (images/README.md)
	bash images/build.sh $(VERSION) $(ARCHES)

.PHONY: image-lint
image-lint: ## lint the hub's container recipe (images/hub: Dockerfile and compose.yaml) without a container engine
	bash images/hub/lint.sh

.PHONY: test
test: ## run every test (installs what the tests need when missing: PostgreSQL, Chromium, Mosquitto, ..., via tests/scripts/setup.sh)
	tests/scripts/setup.sh
	bash images/hub/lint.sh
	$(DOTNET) build EdgeMdm.sln -c $(CONFIG) --nologo -v quiet
	rm -rf artifacts/test-results
	rm -rf artifacts/test-logs
	$(DOTNET) test EdgeMdm.sln -c $(CONFIG) --no-build --nologo --results-directory artifacts/test-results --logger trx \
		|| { tests/scripts/failed-tests.sh artifacts/test-results; exit 1; }
	tests/scripts/scan-test-logs.sh artifacts/test-logs artifacts/test-results

.PHONY: fuzz
fuzz: ## fuzz every parser that meets the network (check-in, enrollment, QR, sync, mDNS, MQTT, cradle telemetry, blueprint YAML), each for FUZZ_SECONDS (default 60); a failure prints the shrunk input and its seed, to check in under tests/EdgeMdm.Fuzz/corpus/
	$(DOTNET) build tests/EdgeMdm.Fuzz -c $(CONFIG) --nologo -v quiet
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} $(DOTNET) test tests/EdgeMdm.Fuzz -c $(CONFIG) --no-build --nologo

.PHONY: bench
bench: ## measure each figure beside its reference in the same run: check-ins vs a no-op endpoint, sync catch-up, package downloads over TLS vs nginx (ceiling) and through a 1 Gbit/s shaped link (linerate), device wakes vs Mosquitto, TLS, staging, the supervisor's overview, the footprint, a site's shape open loop, durable writes vs raw SQLite, the hub under 1,000 sites (BENCH_ARGS="--scenario checkin|catchup|download|linerate|wake|tls|staging|overview|footprint|site|durable|fanin"); see docs/benchmarks.md
	$(DOTNET) build EdgeMdm.sln -c $(CONFIG) --nologo -v quiet
	bash tests/scripts/nginx.sh
	bash tests/scripts/mosquitto.sh
	bash tests/scripts/shaped-link.sh install
	# The appliances the bench starts stay off the network: no mDNS announcements on the host's interfaces. Its
	# thousands of devices all enroll from one address, and check in back to back with no pause, which a site's
	# devices never do: no per-address enrollment limit and no per-device check-in limit there.
	# The load generator (the bench process: the devices) runs at the least CPU weight, as devices are other
	# machines: in a CPU cgroup of the least weight (cpu.shares=2 on cgroup v1, cpu.weight=1 on v2, nice 19 where
	# none can be made; tests/scripts/least-weight.sh, which removes it at the end); every server it starts, ours and
	# the reference ones, leaves it for the normal weight (tests/Common/ProcessWeight.cs).
	EDGEMDM_Edge__Mdns__Enabled=false EDGEMDM_Edge__Limits__EnrollmentsPerSecondPerAddress=0 EDGEMDM_Edge__Limits__CheckinsPerSecondPerDevice=0 bash tests/scripts/least-weight.sh $(DOTNET) run --project tests/EdgeMdm.Bench -c $(CONFIG) --no-build -- $(BENCH_ARGS)

# The short version (CI=true or DRILLS_ARGS=--short) takes minutes; the full counts much longer (docs/reliability.md).
DRILLS_SECONDS ?= 5400
.PHONY: drills
drills: ## fault drills: power cuts, power loss, uplink flapping, a full disk, a hub restored from an older backup, clock jumps, an appliance replaced from backup; every promise checked after each (DRILLS_ARGS="--drill NAME --short --seed N"; CI=true runs the short version); see docs/reliability.md
	$(DOTNET) build tests/EdgeMdm.Drills -c $(CONFIG) --nologo -v quiet
	bash tests/scripts/setup.sh
	EDGEMDM_Edge__Mdns__Enabled=false timeout -k 20 $(DRILLS_SECONDS) $(DOTNET) run --project tests/EdgeMdm.Drills -c $(CONFIG) --no-build -- $(DRILLS_ARGS)

.PHONY: clean
clean: ## remove build output and ./data
	rm -rf bin artifacts $(DATA)
	find . -type d \( -name bin -o -name obj \) -path './*/*' -prune -exec rm -rf {} +

# A cold run (rootfs made, ~17 min at load 30) plus the check itself (~10 min) fits with room; a warm one takes ~7-10 min.
IMAGE_CHECK_SECONDS ?= 2700
.PHONY: image-check
image-check: ## prove the arm64 build: its .deb installed with dpkg in an arm64 Debian rootfs (debootstrap, cached in /var/cache/edgemdm), run under qemu-user and driven from x64 (readyz, pinned enrollment, check-in, package, MQTT wake), then upgraded to N+1, removed and purged; needs root; images/check/
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory image ARCHES=arm64
	timeout -k 20 $(IMAGE_CHECK_SECONDS) images/check/image-check.sh artifacts/image/edgemdm-edge_$(VERSION)_arm64.deb bin
