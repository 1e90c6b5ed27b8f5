# The course's two commands:   make book   (execute every chapter, build _build/html)
#                              make test   (unit tests, then strict nbval on the chapters)
# Both create or refresh the virtual environment in $(VENV) first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Offline copy of the data beside the repository (CI, course machines); online users download CIFAR-10.
SHARED_DATA := $(abspath $(CURDIR)/../shared/data)
ifneq ($(wildcard $(SHARED_DATA)/cifar10-subset),)
export CNNCOURSE_DATA ?= $(SHARED_DATA)
endif
NBVAL_FLAGS := --nbval --nbval-current-env --nbval-cell-timeout=600 --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: venv book execute html test unit nbval nbval-torchvision colab-check badges bench bakeoff audit site-check serve clean help

help:
	@echo "make book   execute every notebook in notebooks/ and build the site in _build/html"
	@echo "make test   unit tests (tests/), then strict nbval on notebooks/"
	@echo "make html   build the site from the stored outputs, without executing"
	@echo "make nbval-torchvision  strict nbval on a ±1-perturbed torchvision-format CIFAR-10 copy"
	@echo "make colab-check  the install cell and chapters 5 and 12 in a Colab-like venv (CI runs both)"
	@echo "make site-check  build with -W, open every page in headless Chromium, check links, figures, Colab links"
	@echo "make serve  preview _build/html on http://127.0.0.1:8000"
	@echo "make badges rewrite every notebook's Colab badge and install cell from _config.yml"
	@echo "make bench  run the benchmarks (minutes; not part of make test); raw output in benchmarks/results/"
	@echo "make bakeoff  train every family's CIFAR model under the course protocol, 3 seeds (~25 min)"

$(STAMP): pyproject.toml requirements/ci.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements/ci.txt -e ".[lab,book,test]"
	touch $(STAMP)

venv: $(STAMP)

execute: venv
	$(PY) tools/execute_notebooks.py notebooks

html: venv
	$(VENV)/bin/jupyter-book build . -W --keep-going

book: execute html

# The unit tests are independent: two pytest-xdist workers keep both cores busy (kernel start-ups,
# small models); nbval runs the notebooks one at a time so their stored outputs reproduce exactly.
unit: venv
	$(PY) -m pytest -n 2 tests/

nbval: venv
	$(PY) -m pytest $(NBVAL_FLAGS) notebooks/

test: unit nbval

# The chapters as an online student gets them (CI runs both after make test):
# nbval-torchvision  strict nbval again, on a torchvision-format CIFAR-10 copy with every pixel moved by ±1,
#                    so no stored output depends on which copy of CIFAR-10 a reader has;
# colab-check        a Colab-like venv: the install cell, chapters 5 and 12 (ImageNet branch), no CNNCOURSE_DATA.
TV_COPY := build/cifar-batches-pm1
nbval-torchvision: venv
	$(PY) tools/cifar_batches.py $(TV_COPY) --perturb 1
	CNNCOURSE_DATA=$(abspath $(TV_COPY)) CNNCOURSE_CACHE=$(abspath $(TV_COPY))/tensors $(PY) -m pytest $(NBVAL_FLAGS) notebooks/

colab-check: venv
	$(PY) tools/colab_check.py

# The published site, checked as a reader sees it: Debian's Chromium (apt-get install chromium)
# driven by Playwright, which the [site] extra installs into the same virtual environment.
SITE_STAMP := $(VENV)/.installed-site
$(SITE_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c requirements/ci.txt -e ".[site]"
	touch $(SITE_STAMP)

site-check: $(SITE_STAMP)
	$(PY) tools/site_check.py

serve:
	$(PY) -m http.server --bind 127.0.0.1 --directory _build/html 8000

badges: venv
	$(PY) tools/badges.py

# The benchmarks behind benchmarks/RESULTS.md (about 25 minutes on 2 cores); never part of `make test`.
BENCHMARKS := trainer_vs_dataloader mfu recipe notebook_times
bench: venv
	mkdir -p benchmarks/results
	set -o pipefail; for b in $(BENCHMARKS); do \
	  echo "== benchmarks/$$b.py"; $(PY) benchmarks/$$b.py | tee benchmarks/results/$$b.txt || exit 1; \
	done

# The bake-off: every family's CIFAR model under the course protocol, 3 seeds each; writes
# cnncourse/results/bakeoff*.csv (benchmarks/results/ links to them). `--tune` first if entries change.
bakeoff: venv
	set -o pipefail; $(PY) benchmarks/bakeoff.py | tee benchmarks/results/bakeoff.txt

audit:
	$(PYTHON) ../shared/tools/audit_notebooks.py notebooks

clean:
	rm -rf _build
