# The two commands a newcomer needs: `make run` and `make test`. See README.md.
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
FUZZ_DIR  ?= build-fuzz
FUZZ_SECONDS ?= 20
JOBS      ?= $(shell nproc)
DATA_DIR  ?= ./sealpost-data
CMAKE_FLAGS ?=
# Compiler-cache hits keyed on paths relative to the checkout, so every clone shares them.
export CCACHE_BASEDIR ?= $(CURDIR)

.PHONY: run test test-asan fuzz build build-asan web deps deps-test format check-format bench bench-postgres bench-metrics bench-notify bench-secure-copies bench-smtp clean deb

deps:
	bash scripts/install-deps.sh run

deps-test:
	bash scripts/install-deps.sh test

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The browser UI (web/ → web/dist, served by `sealpost serve`). `npm ci` runs only when
# node_modules is missing or older than the lockfile.
web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web: web/node_modules/.package-lock.json
	cd web && npm run build

# Installs what Sealpost needs, builds it and starts it on the embedded defaults.
run: deps
	$(MAKE) web
	$(MAKE) build SEALPOST_TESTS=OFF CMAKE_FLAGS="-DSEALPOST_BUILD_TESTS=OFF -DSEALPOST_BUILD_BENCH=OFF" BUILD_DIR=build-run
	./build-run/src/cmd/sealpost serve --data-dir $(DATA_DIR)

# Installs what the tests need, builds, and runs every test.
test: deps-test
	$(MAKE) web
	$(MAKE) build
	bash scripts/check-format.sh
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer (a separate build), but for
# installing the package into a Debian root: a sanitized binary is not what a package ships.
test-asan: deps-test
	$(MAKE) web
	$(MAKE) build BUILD_DIR=$(ASAN_DIR) CMAKE_FLAGS="-DSEALPOST_SANITIZE=ON -DSEALPOST_BUILD_BENCH=OFF"
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  ctest --output-on-failure -j $(JOBS) --timeout 1800 -LE debootstrap

# libFuzzer: a clang build of its own (instrumented, ASan + UBSan) whose targets each run for
# FUZZ_SECONDS from their committed corpus (scripts/fuzz.sh, docs/fuzzing.md).
$(FUZZ_DIR)/build.ninja:
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_COMPILER=clang++ \
	  -DSEALPOST_FUZZ=ON -DSEALPOST_BUILD_TESTS=OFF -DSEALPOST_BUILD_BENCH=OFF

fuzz: deps-test $(FUZZ_DIR)/build.ninja
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzzers
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh $(FUZZ_DIR)

# Benchmarks need an optimised build of their own (not part of `make test`).
bench: deps-test
	$(MAKE) build BUILD_DIR=build-bench CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Release -DSEALPOST_BUILD_TESTS=OFF"
	bash bench/run.sh build-bench

# Send throughput with 1 and 2 processes on PostgreSQL beside pgbench (bench/postgres.sh).
bench-postgres: deps-test
	$(MAKE) build BUILD_DIR=build-bench CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Release -DSEALPOST_BUILD_TESTS=OFF"
	bash bench/postgres.sh build-bench

# Send throughput while /metrics is scraped every second, against unscraped (bench/metrics.sh).
bench-metrics: deps-test
	$(MAKE) build BUILD_DIR=build-bench CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Release -DSEALPOST_BUILD_TESTS=OFF"
	bash bench/metrics.sh build-bench

# Guest notifications to 1,000 guests handed to a real Postfix, beside smtp-source (bench/notify.sh).
bench-notify: deps-test
	$(MAKE) build BUILD_DIR=build-bench CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Release -DSEALPOST_BUILD_TESTS=OFF"
	bash bench/notify.sh build-bench

# One message to 1,000 S/MIME, OpenPGP and TLS-partner recipients handed to a real Postfix,
# beside smtp-source (bench/secure_copies.sh).
bench-secure-copies: deps-test
	$(MAKE) build BUILD_DIR=build-bench CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Release -DSEALPOST_BUILD_TESTS=OFF"
	bash bench/secure_copies.sh build-bench

# smtp-source (20 sessions, 10 KiB) into Sealpost's MX listener, a private Postfix delivering to
# a Maildir and smtp-sink, in one run (bench/smtp.sh).
bench-smtp: deps-test
	$(MAKE) build BUILD_DIR=build-bench CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Release -DSEALPOST_BUILD_TESTS=OFF"
	bash bench/smtp.sh build-bench

# The Debian package (packaging/build-deb.sh) from the build directory of `make build` and the
# web UI: binary, UI, hardened systemd unit, default config; written to dist/.
deb:
	$(MAKE) web
	$(MAKE) build
	bash packaging/build-deb.sh $(BUILD_DIR) dist

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

check-format:
	bash scripts/check-format.sh

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR) build-run build-bench web/dist web/node_modules dist
