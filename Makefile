# The commands of the README: `make run`, `make test` and `make lint`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: setup ocr run test evals bench lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: the CPU build; an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[st,dev]'
	touch $(STAMP)

setup: $(STAMP)

# Tesseract (with its French data) reads scanned pages; without it they are reported as unread.
ocr:
	@if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx fra; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-fra \
	    >/dev/null) || echo "OCR : installation de Tesseract impossible ; les pages scannées seront signalées non lues."; \
	else echo "OCR : installez Tesseract et ses données françaises (Debian/Ubuntu : sudo apt-get install" \
	  "tesseract-ocr tesseract-ocr-fra ; macOS : brew install tesseract tesseract-lang) pour lire les pages scannées."; fi

run: setup ocr
	$(BIN)/rncp-coach index
	$(BIN)/rncp-coach serve

test: setup
	$(PY) -m pytest

# Q&A figures; the judge's grouped cross-validation and leave-one-unit-out figures on the dev drafts;
# then the real pipeline on the held-out drafts, which no training or tuning reads.
evals: setup
	$(PY) -m evals.run_qa
	$(PY) -m evals.train_judge --dry-run
	$(PY) -m evals.run_assessment --split heldout

bench: setup
	$(PY) -m evals.bench

# The import contracts of pyproject.toml ([tool.importlinter], see docs/architecture.md), then ruff.
lint: setup
	$(BIN)/lint-imports
	$(BIN)/ruff check assistant ingestion evals tests

clean:
	rm -rf $(VENV) .pytest_cache evals/deliverables/pdf evals/results
