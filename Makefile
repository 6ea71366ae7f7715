# logsieve — entry points: build, run, test, bench, dist, dev, lint.
SHELL := /bin/bash
GO ?= go
# SQLite can read a day file through a memory map of up to SQLITE_MAX_MMAP_SIZE
# (backend/store/read_gate.go, readMapBytes, off by default): 2 GiB unless the build
# raises it, and a day of tens of millions of rows is several GiB. Every Go build and
# test here compiles SQLite with a limit of 1 TiB (-O2 -g is Go's default CGO_CFLAGS).
CGO_CFLAGS ?= -O2 -g
export CGO_CFLAGS += -DSQLITE_MAX_MMAP_SIZE=1099511627776
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION) -extldflags=-Wl,-z,relro,-z,now
# PIE and immediate binding with a read-only GOT (relro, now): the hardening lintian asks
# of a packaged binary (hardening-no-pie, hardening-no-bindnow).
BUILDMODE := -buildmode=pie
BIN := bin/logsieve
UI_INDEX := backend/web/dist/index.html
UI_SRC := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/package.json -type f 2>/dev/null)
GO_SRC := $(shell find backend -name '*.go' -not -path '*/node_modules/*' 2>/dev/null) go.mod go.sum
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
CHROMIUM_PATH ?= /usr/bin/chromium
export CHROMIUM_PATH
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# bench knobs (README "Performance"). RATE is offered above the 150k/s target so the
# line shows what the server stores, not the generator's pace.
RATE ?= 175000
COUNT ?= 1000000
ENGINES ?= 1
KEEP_ORIGINAL ?= true
GSO ?= true
# PROTOCOL=tcp sends over CONNS TCP connections per engine (default one), framed by FRAMING
# (octet|lf); PROTOCOL=tls the same over TLS (the bench data dir's self-signed certificate).
# CONNS connections share an engine's rate evenly, each paced (`make bench PROTOCOL=tcp CONNS=1000
# RATE=50000`: 1,000 senders at 50 logs/s); udp takes only CONNS=1.
PROTOCOL ?= udp
FRAMING ?= octet
CONNS ?= 1
# HEADER is the bench engines' syslog_header (none|auto|rfc3164|rfc5424); none is the historic line.
HEADER ?= none
# RULES log alert rules on each bench engine (0: none; `make bench RULES=20` measures their cost).
RULES ?= 0
# IDLE_S seconds the server is watched idle after the run: idle_cpu_pct, after_rss_mb (0: off).
IDLE_S ?= 10

.PHONY: all build ui run dev test test-go test-web test-e2e test-installer lint lint-go lint-web lint-vuln \
        bench bench-all bench-query dist clean deps-node deps-chromium deps-system deps-clients fuzz \
        deb test-deb test-system man

all: build

## build: the binary with the SPA embedded
build: $(BIN)

$(BIN): $(UI_INDEX) $(GO_SRC)
	@mkdir -p bin
	CGO_ENABLED=1 $(GO) build -trimpath $(BUILDMODE) -ldflags '$(LDFLAGS)' -o $(BIN) ./backend/cmd/logsieve

node_modules/.package-lock.json: package.json package-lock.json frontend/package.json
	npm ci --no-audit --no-fund
	@touch $@

deps-node: node_modules/.package-lock.json

ui: $(UI_INDEX)

$(UI_INDEX): node_modules/.package-lock.json $(UI_SRC)
	npm run build -w frontend

## run: build what is missing and serve on http://127.0.0.1:8080 with ./data and the demo engine
run: build
	./$(BIN) serve --data ./data

## dev: Vite dev server proxying /api to a Go server on :8080 (start `make run` in another shell)
dev: deps-node
	npm run dev -w frontend

## test: every test (Go with -race, each fuzz target briefly, vitest, Playwright in Debian's Chromium, installer, .deb, booted systemd, cluster)
test: lint test-go test-fuzz test-web test-installer test-deb test-system test-e2e test-cluster
	@echo "make test: all suites passed"

# test-go runs the real-client tests (logger, rsyslogd, syslog-ng, openssl) too:
# LOGSIEVE_REAL_CLIENTS=1 makes a missing program a failure instead of a skip.
test-go: deps-system
	LOGSIEVE_REAL_CLIENTS=1 LOGSIEVE_SYSLOG_NG_ROOT=$(SYSLOG_NG_ROOT) CGO_ENABLED=1 \
	  $(GO) test -race -count=1 -timeout 10m ./backend/...

test-web: deps-node
	npm run test -w frontend

# deps-clients: the real syslog senders of the Go tests, installed only when missing:
# util-linux logger (bsdutils), rsyslog with rsyslog-gnutls, and syslog-ng. Debian's
# syslog-ng-core conflicts with rsyslog (both are the system logger), so it is not installed
# but unpacked into SYSLOG_NG_ROOT with its libraries installed; the tests run it from there
# (LOGSIEVE_SYSLOG_NG_ROOT) in the foreground, and nothing starts it as a service.
SYSLOG_NG_ROOT ?= /opt/syslog-ng-core
deps-clients:
	@set -e; need=""; \
	command -v logger >/dev/null 2>&1 || need="$$need bsdutils"; \
	command -v rsyslogd >/dev/null 2>&1 || [ -x /usr/sbin/rsyslogd ] || need="$$need rsyslog"; \
	dpkg -s rsyslog-gnutls >/dev/null 2>&1 || need="$$need rsyslog-gnutls"; \
	sng=1; if command -v syslog-ng >/dev/null 2>&1 || [ -x /usr/sbin/syslog-ng ] || \
	  [ -x "$(SYSLOG_NG_ROOT)/usr/sbin/syslog-ng" ]; then sng=""; fi; \
	if [ -n "$$need$$sng" ]; then $(SUDO) apt-get update -qq; fi; \
	if [ -n "$$need" ]; then \
	  echo "installing Debian packages:$$need"; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$need; \
	fi; \
	if [ -n "$$sng" ] && ! command -v syslog-ng >/dev/null 2>&1 && [ ! -x /usr/sbin/syslog-ng ]; then \
	  echo "unpacking syslog-ng-core into $(SYSLOG_NG_ROOT) (the package conflicts with rsyslog)"; \
	  tmp=$$(mktemp -d); chmod 777 "$$tmp"; \
	  (cd "$$tmp" && apt-get download -qq syslog-ng-core); deb=$$(ls "$$tmp"/syslog-ng-core_*.deb); \
	  deps=$$(dpkg-deb -f "$$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g'); \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$deps; \
	  $(SUDO) mkdir -p "$(SYSLOG_NG_ROOT)"; $(SUDO) dpkg-deb -x "$$deb" "$(SYSLOG_NG_ROOT)"; rm -rf "$$tmp"; \
	  LD_LIBRARY_PATH="$(SYSLOG_NG_ROOT)/usr/lib/syslog-ng" "$(SYSLOG_NG_ROOT)/usr/sbin/syslog-ng" --version | head -1; \
	fi

# deps-system: Debian packages the tests need, installed only when missing (apt lists are
# refreshed first, once): chromium for Playwright, shellcheck and nginx for the installer,
# openssl (s_client) for the TLS engine tests, lintian for the .deb, and the real syslog
# senders (deps-clients). test-system installs its own (systemd-container, debootstrap).
deps-system: deps-clients
	@need=""; \
	[ -x "$(CHROMIUM_PATH)" ] || need="$$need chromium"; \
	command -v shellcheck >/dev/null 2>&1 || need="$$need shellcheck"; \
	command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need="$$need nginx-light"; \
	command -v openssl >/dev/null 2>&1 || need="$$need openssl"; \
	command -v lintian >/dev/null 2>&1 || need="$$need lintian"; \
	if [ -n "$$need" ]; then \
	  echo "installing Debian packages:$$need (no browser download)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$need; \
	fi

deps-chromium: deps-system

test-e2e: build deps-system
	LOGSIEVE_BIN=$(CURDIR)/$(BIN) npm run e2e -w frontend

test-installer: build deps-system
	bash installer/test.sh

# test-deb: the Go tests of the .deb builder (its own module, tools/mkdeb), then lintian
# on a fresh `make deb`: no errors and no warnings (no overrides either).
test-deb: deps-system
	cd tools/mkdeb && $(GO) vet . && $(GO) test -count=1 .
	@deb=$$($(MAKE) --no-print-directory -s deb | tail -1); echo "lintian $$deb"; \
	  lintian --fail-on error,warning --display-info "$$deb"

# test-system: the booted-systemd install tests (installer/test-system.sh): Debian 12 in
# systemd-nspawn, the .deb and the tarball installed, upgraded, rebooted and removed.
# Needs root and a working systemd-nspawn; prints why it skips otherwise.
test-system: build
	@deb=$$($(MAKE) --no-print-directory -s deb | tail -1); \
	  deb2=$$($(MAKE) --no-print-directory -s deb DEB_VERSION=$$(basename "$$deb" | sed 's/^logsieve_//; s/_amd64.deb$$//')+next | tail -1); \
	  $(MAKE) --no-print-directory -s dist >/dev/null; tgz=$(CURDIR)/dist/$(DIST_NAME).tar.gz; \
	  bash installer/test-system.sh "$$deb" "$$deb2" "$$tgz"

## man: packaging/deb/logsieve.1, generated from the flag definitions (`logsieve man`)
man:
	CGO_ENABLED=1 $(GO) run -tags no_ui ./backend/cmd/logsieve man > packaging/deb/logsieve.1

## deb: dist/logsieve_<version>_amd64.deb (nfpm, tools/mkdeb); DEB_VERSION overrides the version from git describe
DEB_VERSION ?=
MKDEB := bin/mkdeb
deb: build $(MKDEB)
	@./$(MKDEB) --repo $(CURDIR) --binary $(CURDIR)/$(BIN) --out $(CURDIR)/dist $(if $(DEB_VERSION),--version $(DEB_VERSION))

$(MKDEB): $(wildcard tools/mkdeb/*.go) tools/mkdeb/go.mod tools/mkdeb/go.sum
	@mkdir -p bin
	cd tools/mkdeb && CGO_ENABLED=0 $(GO) build -trimpath -o $(CURDIR)/$(MKDEB) .

lint: lint-go lint-web lint-vuln

lint-go:
	@out=$$(gofmt -l backend); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./backend/...
	$(GO) vet -tags no_ui ./backend/...
	@command -v staticcheck >/dev/null 2>&1 || [ -x "$$($(GO) env GOPATH)/bin/staticcheck" ] || \
	  $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./backend/...

lint-web: deps-node
	npm run lint -w frontend
	npm run typecheck -w frontend

# lint-vuln: known vulnerabilities in what we build. govulncheck (pinned, fetched through
# the Go proxy) reports only the Go advisories whose code the binary can reach; npm audit
# fails on high or critical advisories of the npm packages. Each is skipped with a message,
# not failed, when its database cannot be reached: offline, vuln.go.dev blocked, or an npm
# registry mirror without the audit endpoint (405).
GOVULNCHECK ?= golang.org/x/vuln/cmd/govulncheck@v1.9.0
OFFLINE_RE := fetching vulnerabilities|dial tcp|no such host|i/o timeout|connection refused|network is unreachable|proxyconnect
NPM_OFFLINE_RE := audit endpoint returned an error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|ENETUNREACH
lint-vuln: deps-node
	@out=$$($(GO) run $(GOVULNCHECK) ./backend/... 2>&1); rc=$$?; \
	if [ $$rc -eq 0 ]; then echo "govulncheck: no reachable vulnerability"; \
	elif echo "$$out" | grep -Eq '$(OFFLINE_RE)'; then \
	  echo "lint: govulncheck SKIPPED: its database cannot be reached ($$(echo "$$out" | grep -Em1 '$(OFFLINE_RE)'))"; \
	else echo "$$out"; exit 1; fi
	@out=$$(npm audit --audit-level=high 2>&1); rc=$$?; \
	if [ $$rc -eq 0 ]; then echo "npm audit: no high or critical advisory"; \
	elif echo "$$out" | grep -Eq '$(NPM_OFFLINE_RE)'; then \
	  echo "lint: npm audit SKIPPED: the registry's audit endpoint cannot be reached ($$(echo "$$out" | grep -Em1 '$(NPM_OFFLINE_RE)'))"; \
	else echo "$$out"; exit 1; fi

## bench: one line of throughput, loss, RSS and CPU; knobs RATE, COUNT, ENGINES, KEEP_ORIGINAL, GSO, PROTOCOL, FRAMING, CONNS, HEADER, RULES, IDLE_S
bench: build
	./$(BIN) bench --rate $(RATE) --count $(COUNT) --engines $(ENGINES) --keep-original=$(KEEP_ORIGINAL) --gso=$(GSO) \
	  --protocol $(PROTOCOL) --framing $(FRAMING) --conns $(CONNS) --header $(HEADER) --rules $(RULES) --idle-s $(IDLE_S)

## bench-all: the bench line for 1, 2 and 4 engines and for keep_original off
bench-all: build
	@for v in "1 true" "2 true" "4 true" "1 false"; do set -- $$v; \
	  ./$(BIN) bench --rate $(RATE) --count $(COUNT) --engines $$1 --keep-original=$$2 --gso=$(GSO) || exit 1; \
	done

# bench-query knobs (README "Performance"): ROWS rows filled into today's day file,
# QUERY_RATE logs/s sent while the queries run (0 = idle), RUNS runs of each query;
# REUSE=DIR keeps the filled data dir and queries it again on later runs (no fill).
# Then VIEWERS clients run every query in a loop for VIEWER_TIME while the loadgen
# sends VIEWER_RATE logs/s (VIEWERS=0 skips it); the viewers line counts what was lost.
ROWS ?= 3000000
QUERY_RATE ?= 50000
RUNS ?= 20
REUSE ?=
VIEWERS ?= 10
VIEWER_RATE ?= 100000
VIEWER_TIME ?= 30s

## bench-query: per search, p50/p95 of RUNS answers over HTTP beside the sqlite3 CLI's full scan; CSV export rows/s, WAL peak, bytes/row, RSS
bench-query: build
	./$(BIN) bench-query --rows $(ROWS) --rate $(QUERY_RATE) --runs $(RUNS) --keep-original=$(KEEP_ORIGINAL) \
	  --viewers $(VIEWERS) --viewer-rate $(VIEWER_RATE) --viewer-time $(VIEWER_TIME) $(if $(REUSE),--reuse $(REUSE))

# fuzz targets as package:Target:execs. `make fuzz` runs each for FUZZTIME
# (default 60s); `make test-fuzz` runs each for its execs count (a few seconds).
# test-fuzz counts executions instead of seconds because a duration -fuzztime
# can fail with a bare "context deadline exceeded" when a worker misses the
# deadline on a loaded box (go.dev/issue/75804, fixed in Go 1.27).
# Crashers land in the package's testdata/fuzz.
FUZZ_TARGETS := class:FuzzExtract:30000 class:FuzzCompile:30000 \
                class:FuzzClassNames:30000 api:FuzzQueryParams:3000 \
                api:FuzzDecodeStrict:30000 store:FuzzCSVText:30000 \
                syslog:FuzzParse:30000
FUZZTIME ?= 60s

## test-cluster: 3 NATS servers + 2 ingest + 2 store nodes on 127.0.0.1, kill -9 one of each kind
## while sending CLUSTER_LOGS logs at CLUSTER_RATE/s; every acked log stored once (docs/cluster.md)
CLUSTER_LOGS ?= 1000000
CLUSTER_RATE ?= 50000
test-cluster:
	LOGSIEVE_CLUSTER_E2E=1 LOGSIEVE_CLUSTER_LOGS=$(CLUSTER_LOGS) LOGSIEVE_CLUSTER_RATE=$(CLUSTER_RATE) CGO_ENABLED=1 \
	  $(GO) test -count=1 -timeout 6m -run '^TestClusterSurvivesKilledNodes$$' -v ./backend/cluster/

.PHONY: test-fuzz soak test-cluster

## fuzz: each fuzz target for FUZZTIME (default 60s; FUZZTIME=brief uses each target's execs count)
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; execs=$${rest#*:}; \
	  ft=$(FUZZTIME); [ "$$ft" = brief ] && ft=$${execs}x; \
	  echo "fuzz $$name ($$pkg) for $$ft"; \
	  CGO_ENABLED=1 $(GO) test ./backend/$$pkg -run '^$$' -fuzz "^$$name$$" -fuzztime $$ft; \
	done

## test-fuzz: each fuzz target briefly (a fixed number of executions)
test-fuzz:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=brief

## soak: SOAK_DURATION (default 10m) of mixed load on 3 engines with API queries and class edits
SOAK_DURATION ?= 10m
soak:
	CGO_ENABLED=1 SOAK_DURATION=$(SOAK_DURATION) $(GO) test -tags soak -run '^TestSoak$$' -count=1 -v -timeout 0 ./backend/api

## dist: release tarball dist/logsieve-<version>-linux-amd64.tar.gz, its CycloneDX SBOM
## (.cdx.json: the binary's Go modules + the dashboard's npm packages) and SHA-256 sums
## (logsieve-<version>.sha256, `sha256sum -c` in dist/; a .deb of the version is summed too)
DIST_NAME = logsieve-$(VERSION)-linux-amd64
dist: build
	bash installer/dist.sh $(VERSION)
	$(GO) run ./backend/cmd/sbom --binary $(BIN) --lock package-lock.json --version $(VERSION) --out dist/$(DIST_NAME).cdx.json
	cd dist && sha256sum $(DIST_NAME).tar.gz $(DIST_NAME).cdx.json $$(ls logsieve_$(VERSION)_*.deb 2>/dev/null) \
	  > logsieve-$(VERSION).sha256 && cat logsieve-$(VERSION).sha256

clean:
	rm -rf bin dist backend/web/dist/assets backend/web/dist/index.html
