#!/bin/sh
# Installs what bench/train needs for the PyTorch side when it is missing: Debian's python3-torch and the OpenMP
# build of OpenBLAS (the reference BLAS is 30x slower and the pthread OpenBLAS fights torch's OpenMP threads). Idempotent; needs root (apt-get). Usage: sh bench/train/setup.sh
set -eu
OPENBLAS_DIR=/usr/lib/x86_64-linux-gnu/openblas-openmp
have_torch() { LD_LIBRARY_PATH=$OPENBLAS_DIR /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; }
have_openblas() { [ -e "$OPENBLAS_DIR/libblas.so.3" ]; }
if have_torch && have_openblas; then
  echo "bench/train setup: python3-torch and libopenblas0-openmp already installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "bench/train setup: python3-torch / libopenblas0-openmp missing and not root; run as root:" >&2
  echo "  apt-get update && apt-get install -y python3-torch libopenblas0-openmp" >&2
  exit 1
fi
echo "bench/train setup: installing python3-torch libopenblas0-openmp with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3-torch libopenblas0-openmp
have_torch || { echo "bench/train setup: torch still does not import with /usr/bin/python3" >&2; exit 1; }
have_openblas || { echo "bench/train setup: $OPENBLAS_DIR/libblas.so.3 missing after install" >&2; exit 1; }
echo "bench/train setup: done"
