# The two commands (README): `make run` and `make test`. Each installs what
# it needs: the virtualenv, the Python packages, and Debian packages when
# missing (as root, with apt-get).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out/demo

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml scripts/venv
	PYTHON=$(PYTHON) scripts/venv $(VENV)
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/peakready run --out $(OUT)

# Debian packages the tests use: chromium opens report.html headless; nsd is
# the real authoritative DNS server the email checks are tested against (the
# tests start their own on a free loopback port, never the system service).
TEST_DEBS := chromium nsd

test: $(STAMP)
	scripts/without-service-starts scripts/ensure-debian-packages $(TEST_DEBS)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
