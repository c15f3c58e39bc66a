SHELL := /bin/bash
# modelctl — build, test, demo and benchmark.
# `make demo` and `make test` work on a fresh machine: `deps` installs libssl-dev when it is missing.

SWIFT     ?= swift
PREFIX    ?= /usr/local
CONFIG    ?= release
# The release binary carries the Swift runtime and Foundation inside it: it runs on a host
# without a Swift toolchain (it needs only glibc, libstdc++ and OpenSSL 3), and it starts in
# about a third of the time, since the dynamic loader has a few libraries to bind, not twenty.
STATIC    ?= --static-swift-stdlib
BIN_DIR    = .build/$(CONFIG)
MODELCTL   = $(BIN_DIR)/modelctl
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build test demo bench install man completions check-deps clean deps fleet-deps fleet-demo

all: build

## deps: make sure libcrypto's headers are there (libssl-dev), and the bench peers.
deps:
	@if pkg-config --exists libcrypto 2>/dev/null; then :; \
	elif command -v apt-get >/dev/null 2>&1 && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then \
	  echo "installing libssl-dev (OpenSSL libcrypto headers) with apt-get"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libssl-dev pkg-config >/dev/null; \
	else \
	  echo "modelctl needs OpenSSL's libcrypto headers. Install them with:"; \
	  echo "    sudo apt-get install -y libssl-dev pkg-config"; \
	  exit 1; \
	fi

bench-deps: deps
	@missing=""; for t in rhash sha256deep /usr/bin/time; do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then \
	    echo "installing bench peers (rhash, hashdeep, time) with apt-get"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq rhash hashdeep time >/dev/null || true; \
	  else echo "missing bench peers:$$missing (sudo apt-get install -y rhash hashdeep time)"; fi; \
	fi

## fleet-deps: the monitoring stack fleet-demo runs (Debian's prometheus, node_exporter, alertmanager).
fleet-deps:
	@missing=""; for t in prometheus promtool prometheus-node-exporter prometheus-alertmanager; do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -z "$$missing" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then \
	  echo "installing prometheus, prometheus-node-exporter, prometheus-alertmanager with apt-get"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus prometheus-node-exporter prometheus-alertmanager >/dev/null; \
	else \
	  echo "fleet-demo needs:$$missing. Install them with:"; \
	  echo "    sudo apt-get install -y prometheus prometheus-node-exporter prometheus-alertmanager"; \
	  exit 1; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG) --product modelctl $(STATIC)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

demo: build
	@bash scripts/demo.sh $(MODELCTL)

bench: bench-deps build
	@bash scripts/bench.sh $(MODELCTL)

## fleet-demo: three simulated hosts, node_exporter, Prometheus with the shipped rules, Alertmanager:
## a tampered model and a broken registry page, are repaired and resolve (loopback only).
fleet-demo: build fleet-deps
	@bash scripts/fleet-demo.sh $(MODELCTL)

## interop: modelctl against the real tools it interoperates with (model_signing, huggingface_hub,
## promtool and the fleet demo; needs PyPI and Debian's prometheus packages).
## It also runs check-deps on the release binary (glibc, libstdc++ and OpenSSL 3 only).
.PHONY: interop
interop: build fleet-deps check-deps
	@bash scripts/interop.sh $(MODELCTL)

## man: the man page, generated from the commands by swift-argument-parser's generate-manual
## (the tool behind its GenerateManual plugin), run on the binary just built.
man: build
	$(SWIFT) build -c $(CONFIG) --product generate-manual
	@mkdir -p $(BIN_DIR)/man
	$(BIN_DIR)/generate-manual $(MODELCTL) --output-directory $(BIN_DIR)/man

## completions: bash, zsh and fish completion scripts, from the binary itself.
completions: build
	@mkdir -p $(BIN_DIR)/completions
	$(MODELCTL) --generate-completion-script bash > $(BIN_DIR)/completions/modelctl.bash
	$(MODELCTL) --generate-completion-script zsh > $(BIN_DIR)/completions/_modelctl
	$(MODELCTL) --generate-completion-script fish > $(BIN_DIR)/completions/modelctl.fish

## install: the binary, its man page and its completions under $(DESTDIR)$(PREFIX).
install: build man completions
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(MODELCTL) $(DESTDIR)$(PREFIX)/bin/modelctl
	install -m 0644 $(BIN_DIR)/man/modelctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/modelctl.1
	install -m 0644 $(BIN_DIR)/completions/modelctl.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/modelctl
	install -m 0644 $(BIN_DIR)/completions/_modelctl $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_modelctl
	install -m 0644 $(BIN_DIR)/completions/modelctl.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/modelctl.fish

## check-deps: the release binary needs nothing from the system beyond glibc, libstdc++ and
## OpenSSL 3 (what the runtime image installs); any other library fails the check.
check-deps: build
	@bad=$$(ldd $(MODELCTL) | awk '{print $$1}' | grep -vE '^(linux-vdso\.so|/lib64/ld-linux-x86-64\.so|/lib/ld-linux-aarch64\.so|ld-linux)|^lib(c|m|dl|pthread|rt|gcc_s|stdc\+\+|util|resolv)\.so|^lib(ssl|crypto)\.so\.3$$' || true); \
	if [ -n "$$bad" ]; then echo "$(MODELCTL) needs libraries beyond glibc, libstdc++ and OpenSSL 3:"; echo "$$bad"; exit 1; fi; \
	echo "$(MODELCTL): glibc, libstdc++ and OpenSSL 3 only"

clean:
	rm -rf .build .build-bench
