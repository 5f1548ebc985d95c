# zoom-licenses: the two commands a newcomer needs are `make run` and `make test`.

CARGO   ?= cargo
PYTHON  ?= python3
VENV    := .venv
SAMPLE  := fixtures/sample
LARGE   := target/fixtures

.PHONY: run test fmt-check clippy cargo-test readers-test fixtures-large measure-large bench clean

## Replay the bundled sample recording into out/ (Parquet, rejects, manifest) and print the summary.
run:
	$(CARGO) run --release --quiet -- extract --replay $(SAMPLE)

## Everything CI checks: formatting, lints, every Rust test, and the Parquet read back by pyarrow and DuckDB.
test: fmt-check clippy cargo-test readers-test

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

cargo-test:
	$(CARGO) test --workspace

$(VENV)/.installed: tests/python/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
	touch $@

readers-test: $(VENV)/.installed
	rm -rf target/readers-test
	$(CARGO) run --quiet -- -q extract --replay $(SAMPLE) --output target/readers-test/zoom_users.parquet
	$(VENV)/bin/python tests/python/check_readers.py target/readers-test

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

clean:
	rm -rf out target/readers-test target/measure $(LARGE)
