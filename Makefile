# ember — top-level entry points. CMake does the building; this file names the jobs.
#   make demo    generate the fraud-detection data set and run the batch job (local mode)
#   make test    build (-Werror), run the whole suite, then again under ASan+UBSan
#   make build   release build into build/
#   make fuzz    build the Parquet fuzz target with clang/libFuzzer into build-fuzz/ and run it
#                for FUZZ_SECONDS (default 60) on the Parquet fixtures as seed corpus
#   make stress  kill a worker at random moments of a cluster query, STRESS_RUNS times
#                (default 10), and print how many runs gave the right answer
#   make bench   benchmarks against DuckDB and Polars (bench/README.md); not part of test:
#                make bench BENCH=tpch SF=1, BENCH=groupby ROWS=1e6 RUNS=5 THREADS=2, ...
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
DEMO_ROWS ?= 3000000
DEMO_DIR ?= demo-data

.PHONY: all deps build asan test test-fast test-asan demo bench clean format npm-tools fuzz stress

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEMBER_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# The independent engines the tests compare with (DuckDB from npm), installed once
# before the tests run in parallel. Without npm those comparisons skip (fail in CI).
npm-tools:
	@bash scripts/npm-tools.sh >/dev/null || echo "npm tools unavailable: comparisons with DuckDB will be skipped"

test-fast: build npm-tools
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: asan npm-tools
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

test: test-fast test-asan

demo: build
	@bash scripts/demo.sh $(BUILD)/ember $(DEMO_DIR) $(DEMO_ROWS)

# Selection and sizes reach the runner through the environment: command-line variables
# (make bench BENCH=tpch SF=10) are exported to recipes by make.
bench: build
	@bash scripts/bench.sh $(BUILD)/ember

stress: build
	@bash scripts/stress.sh $(BUILD)/ember

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_LIBS = $$(pkg-config --libs libprotobuf-c libxxhash libzstd liblz4 jansson zlib) -lsnappy -lpg_query -lm -lpthread

fuzz: deps
	@command -v clang >/dev/null || { SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends clang; }
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMBER_WERROR=OFF \
	  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target ember_core
	@clang -g -O1 -fsanitize=fuzzer $(FUZZ_SAN) -Iinclude -Isrc -I$(FUZZ_BUILD)/proto \
	  tests/fuzz/fuzz_parquet.c $(FUZZ_BUILD)/libember_core.a $(FUZZ_LIBS) -o $(FUZZ_BUILD)/fuzz_parquet
	@mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/seeds
	@i=0; for f in $$(find tests/data/parquet -name '*.parquet' | sort); do \
	  i=$$((i+1)); cp "$$f" $(FUZZ_BUILD)/seeds/seed-$$i.parquet; done
	$(FUZZ_BUILD)/fuzz_parquet -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=20 \
	  -print_final_stats=1 $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/seeds

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
