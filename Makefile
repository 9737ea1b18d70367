# ember — top-level entry points. CMake does the building; this file names the jobs.
#   make demo    generate the fraud-detection data set and run the batch job (local mode)
#   make test    build (-Werror), run the whole suite, then again under ASan+UBSan
#   make build   release build into build/
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
DEMO_ROWS ?= 3000000
DEMO_DIR ?= demo-data

.PHONY: all deps build asan test test-fast test-asan demo clean format

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEMBER_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

test: test-fast test-asan

demo: build
	@bash scripts/demo.sh $(BUILD)/ember $(DEMO_DIR) $(DEMO_ROWS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
