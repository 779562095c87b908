#!/usr/bin/env bash
# Create .venv and install electralab with pinned, tested versions (CPU PyTorch first, so that
# pip never pulls a multi-GB CUDA build). Safe to re-run. Usage: bash scripts/install.sh [extras]
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-dev}"
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -c constraints.txt -e ".[${extras}]"
echo "electralab installed in .venv ($(.venv/bin/python -c 'import electralab; print(electralab.__version__)'))"
