# Thin wrapper around CMake. `make run` and `make test` work on a fresh Debian 12 as root.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifeq ($(CI),true)
CMAKE_FLAGS += -DNETSTAT_WERROR=ON
endif
RUN_ARGS ?=
FUZZ_SECONDS ?= 180
FUZZ_PARALLEL ?= 1

.PHONY: all deps build run test test-asan package fuzz bench soak format clean

all: build

deps:
	@./tools/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/netstat_exporter $(RUN_ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The unit and end-to-end tests again, built with AddressSanitizer and UBSan.
test-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DNETSTAT_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)

# A Debian package (CPack, deploy/packaging/cpack.cmake) in $(BUILD_DIR)/.
package: build
	cd $(BUILD_DIR) && cpack -G DEB

# Every libFuzzer target (tests/fuzz, clang++, in $(BUILD_DIR)/fuzz) for FUZZ_SECONDS
# each, FUZZ_PARALLEL at a time; prints execs, coverage and crashes per target.
fuzz: deps
	./tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) --parallel $(FUZZ_PARALLEL) --jobs $(JOBS) \
	  --build-dir $(BUILD_DIR)/fuzz

bench: build
	./tests/bench/run.sh $(BUILD_DIR)

# 30 minutes (SOAK_SECONDS) of scrapes, namespace and process churn and reloads; prints
# RSS, fds and threads each minute and fails unless they end flat. Not part of make test.
SOAK_SECONDS ?= 1800
soak: build
	./tests/soak/soak.sh $(BUILD_DIR) $(SOAK_SECONDS)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
