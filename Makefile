# zoom-licenses: the two commands a newcomer needs are `make run` and `make test`.

CARGO   ?= cargo
PYTHON  ?= python3
VENV    := .venv
AIRFLOW_VENV := .venv-airflow
WHEEL_VENV := .venv-wheel
WHEEL_DATA := target/wheel-data/data/share
# The wheels link against glibc 2.17 (manylinux2014) with zig, whichever glibc this machine has:
# maturin finds zig as `python3 -m ziglang`, the ziglang package of the wheel venv, first on PATH.
WHEEL_BUILD = PATH="$(abspath $(WHEEL_VENV))/bin:$$PATH" $(WHEEL_VENV)/bin/maturin build --quiet \
  --release --zig --compatibility manylinux2014
# How man and completions run the tool (make wheel runs them with the release binary it packs).
ZOOM_LICENSES ?= $(CARGO) run --quiet --
SAMPLE  := fixtures/sample
LARGE   := target/fixtures

.PHONY: run test fmt-check clippy cargo-test readers-test warehouse-test airflow-test wheel wheel-aarch64 wheel-test readme-test fixtures-large measure-large bench man completions clean

## Replay the bundled sample recording into out/ (Parquet, rejects, manifest), print the summary,
## list the seats that can be reclaimed and print how many, then write the day's HTML report.
run:
	@test -x target/release/zoom-licenses || echo "make run: the first run compiles the tool (about 11 minutes on 2 cores); later runs start at once."
	$(CARGO) build --release
	$(CARGO) run --release --quiet -- extract --replay $(SAMPLE)
	$(CARGO) run --release --quiet -- reclaim --input out/zoom_users_manifest.json
	$(CARGO) run --release --quiet -- report --input out/zoom_users_manifest.json

## Everything CI checks: formatting, lints, every Rust test, the Parquet read back by pyarrow and
## DuckDB, the warehouse load and the example pipelines (Make, and Airflow with the real package),
## and the wheel installed where there is no Rust.
test: fmt-check clippy cargo-test readers-test warehouse-test airflow-test wheel-test readme-test

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

cargo-test:
	@command -v $${CHROMIUM:-chromium} >/dev/null || { echo "make test: the report's browser test needs headless Chromium: sudo apt-get install chromium (or set CHROMIUM to its path)"; exit 1; }
	$(CARGO) test --workspace

$(VENV)/.installed: tests/python/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
	touch $@

$(AIRFLOW_VENV)/.installed: tests/python/requirements-airflow.txt
	$(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements-airflow.txt
	touch $@

readers-test: $(VENV)/.installed
	rm -rf target/readers-test
	$(CARGO) run --quiet -- -q extract --replay $(SAMPLE) --output target/readers-test/zoom_users.parquet
	$(VENV)/bin/python tests/python/check_readers.py target/readers-test $(SAMPLE)

warehouse-test: $(VENV)/.installed
	$(CARGO) build --quiet
	$(VENV)/bin/python -m pytest -q tests/python/test_warehouse.py

$(WHEEL_VENV)/.installed: tests/python/requirements-wheel.txt
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements-wheel.txt
	touch $@

## A Python wheel carrying the release binary, its man pages and shell completions, into
## target/wheels/: `pip install target/wheels/zoom_licenses-*.whl` needs no Rust toolchain, on any
## x86-64 Linux with glibc 2.17 or later. The first maturin run builds the binary (its data folder
## empty: maturin stops when it is missing) to generate the man pages and completions from; the
## second packs them, and finds the binary up to date (same command, same environment).
wheel: $(WHEEL_VENV)/.installed
	rm -rf target/wheel-data target/wheels
	mkdir -p target/wheel-data
	$(WHEEL_BUILD) --target x86_64-unknown-linux-gnu --out target/wheels
	$(MAKE) --no-print-directory man completions ZOOM_LICENSES=target/x86_64-unknown-linux-gnu/release/zoom-licenses
	rm -rf target/wheels
	mkdir -p $(WHEEL_DATA)/man $(WHEEL_DATA)/bash-completion/completions \
	  $(WHEEL_DATA)/zsh/site-functions $(WHEEL_DATA)/fish/vendor_completions.d
	cp -r target/man $(WHEEL_DATA)/man/man1
	cp target/completions/zoom-licenses.bash $(WHEEL_DATA)/bash-completion/completions/zoom-licenses
	cp target/completions/_zoom-licenses $(WHEEL_DATA)/zsh/site-functions/
	cp target/completions/zoom-licenses.fish $(WHEEL_DATA)/fish/vendor_completions.d/
	$(WHEEL_BUILD) --target x86_64-unknown-linux-gnu --out target/wheels

## The same wheel for 64-bit ARM Linux (glibc 2.17 or later), into target/wheels-aarch64/, with the
## man pages and completions of the x86-64 build (the same text). Another full release build, so
## not part of `make test`; needs `rustup target add aarch64-unknown-linux-gnu`.
wheel-aarch64: wheel
	rm -rf target/wheels-aarch64
	$(WHEEL_BUILD) --target aarch64-unknown-linux-gnu --out target/wheels-aarch64

## The wheel installed into a new venv with no cargo on PATH, replaying the sample from there.
wheel-test: wheel $(VENV)/.installed
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/python/test_wheel.py

## Every README block marked runnable, run in order as written (its Install block builds and
## installs the wheel into a new venv).
readme-test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/python/test_readme.py

## The DAG imported with the real Airflow, then run end to end by Airflow's dag.test() against the
## mock Zoom with the debug binaries.
airflow-test: $(AIRFLOW_VENV)/.installed
	$(CARGO) build --quiet -p zoom-licenses -p zoom-licenses-mock-zoom
	AIRFLOW__CORE__LOAD_EXAMPLES=False $(AIRFLOW_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/python/test_airflow_dag.py tests/python/test_airflow_dag_run.py

## Generate 100,000- and 1,000,000-user recordings (seeded, reproducible) under target/fixtures/.
fixtures-large: $(LARGE)/users-100k/index.json $(LARGE)/users-1m/index.json

$(LARGE)/users-100k/index.json:
	$(CARGO) run --release --quiet --example generate_recording -- --users 100000 --seed 100 --out $(LARGE)/users-100k

$(LARGE)/users-1m/index.json:
	$(CARGO) run --release --quiet --example generate_recording -- --users 1000000 --seed 1000 --out $(LARGE)/users-1m

## Peak RSS and wall time of replaying the large recordings to Parquet.
measure-large: fixtures-large
	$(CARGO) build --release --quiet
	@for n in 100k 1m; do \
	  $(PYTHON) scripts/measure.py "replay users-$$n -> parquet" 3 -- \
	    target/release/zoom-licenses -q extract --replay $(LARGE)/users-$$n \
	      --output target/measure/users-$$n.parquet || exit 1; \
	done

## Throughput, wall time and peak RSS: replay (10k, 100k, 1M users) and live against the mock.
bench:
	$(PYTHON) bench/run.py

## Man pages (zoom-licenses.1 and one per subcommand) into target/man/: `man -l target/man/zoom-licenses.1`.
man:
	rm -rf target/man
	$(ZOOM_LICENSES) man target/man

## Shell completions into target/completions/ (bash, zsh, fish).
completions:
	mkdir -p target/completions
	$(ZOOM_LICENSES) completions bash > target/completions/zoom-licenses.bash
	$(ZOOM_LICENSES) completions zsh > target/completions/_zoom-licenses
	$(ZOOM_LICENSES) completions fish > target/completions/zoom-licenses.fish

clean:
	rm -rf out target/readers-test target/measure target/wheels target/wheels-aarch64 target/wheel-data target/man target/completions $(LARGE) $(VENV) $(AIRFLOW_VENV) $(WHEEL_VENV)
