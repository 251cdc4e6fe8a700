# Two commands on a fresh Debian 12 or 13 machine (root): `make demo` and `make test`. Each installs what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.intgap-installed
# pip options for the torch install only, e.g. `--index-url <a CPU-only wheel index>` (docs/platform.md)
TORCH_PIP_ARGS ?=
# cortex-m55 (QEMU mps3-an547, the QEMU setup-system.sh builds) adds 119 s of CPU to the bench (2026-12-06,
# benchmarks/results/armv8m.md)
TARGETS ?= cortex-m4,cortex-m4f,cortex-m7,cortex-m55,rv32imc,cortex-a53,cortex-a55,rv64gc,rv64gcv,rv64gcv-vlen256,rv64gcv-vlen512

.PHONY: setup system demo test bench-counting clean

setup: system $(STAMP)
	@$(PY) -m intgap.models

system:
	@bash scripts/setup-system.sh

# torch first, so nothing pulls another build of it. pip takes what its configuration offers: a local CPU wheel
# (192 MB) where there is one, else PyPI's CUDA build (+15 nvidia packages, triton: a 4.7 GB venv, 226 s
# measured on Debian 13; docs/platform.md). TORCH_PIP_ARGS passes pip options for this one install.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q $(TORCH_PIP_ARGS) torch==2.13.0
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	bash scripts/setup-data.sh $(VENV)   # real models + Shakespeare for quant/ (see the script)
	touch $(STAMP)

demo: setup
	$(VENV)/bin/intgap bench --model shakespeare-decoder --targets $(TARGETS) --configs fp32,w8a8,w4a8 --jobs 2 \
		-o out/demo --json out/demo.json

test: setup
	$(PY) -m pytest -q

bench-counting: setup
	$(PY) benchmarks/counting_speed.py

clean:
	rm -rf out .cache build
