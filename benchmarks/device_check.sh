#!/usr/bin/env bash
# Everything that needs a CUDA GPU, in one short run: the CUDA tests, the reference recipe's
# quality through the CUDA graph path, the speed table with issue 17's GPU target, where a GPU
# epoch goes, and last the whole suite with the GPU visible (device="auto" then trains there).
# Run from the repository root on the GPU machine, with MNIST in $AEKIT_DATA/mnist (default
# .data) and, optionally, wheels for packages the machine lacks in .whl/ (constriction, keras).
# Full logs go to $OUT (the device tool's folder that comes back) or /tmp/aekit-device.
set -u
export AEKIT_DATA=${AEKIT_DATA:-.data} KERAS_BACKEND=torch PYTHONUNBUFFERED=1
LOGS=${OUT:-/tmp/aekit-device}
mkdir -p "$LOGS"
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=src${PYTHONPATH:+:$PYTHONPATH}
HAS_XDIST=$(python3 -c "import xdist" 2>/dev/null && echo yes)
WORKERS=${HAS_XDIST:+-n 8}
SUITE_WORKERS=${HAS_XDIST:+-n 12}
PER_TEST=$(python3 -c "import pytest_timeout" 2>/dev/null && echo "--timeout 90")
PYTEST="python3 -m pytest -o addopts= -q -p no:cacheprovider -W ignore::DeprecationWarning"

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv,noheader
python3 -c "import sys, torch, sklearn; print(sys.version.split()[0], torch.__version__, sklearn.__version__)"
nproc

echo "## CUDA tests"
timeout 120 $PYTEST ${WORKERS:-} -rfE tests/test_fast_paths.py tests/test_step_runs.py \
    tests/test_streaming_fit.py tests/test_losses.py > "$LOGS/cuda_tests.log" 2>&1
tail -12 "$LOGS/cuda_tests.log"

echo "## Reference recipe, 50 epochs on the GPU"
for mode in cuda_graph none; do
    timeout 60 python3 benchmarks/reference_recipe.py --device cuda --compile "$mode" \
        --skip-torch --skip-keras 2>&1 | tail -1
done

echo "## Speed"
timeout 150 python3 benchmarks/speed.py --device cuda --epochs 6 --repeats 3 --skip-scaling \
    --models "reference 784-32-784" > "$LOGS/speed.log" 2>&1
grep -v -i warn "$LOGS/speed.log" | tail -24

echo "## Where a GPU epoch goes"
timeout 90 python3 benchmarks/gpu_epoch.py > "$LOGS/gpu_epoch.log" 2>&1
grep -E "^\||^###|^#|Error" "$LOGS/gpu_epoch.log" | head -16

echo "## Whole suite, GPU visible"
timeout 150 $PYTEST ${SUITE_WORKERS:-} ${PER_TEST:-} -rfE tests > "$LOGS/suite.log" 2>&1
grep -E "^(FAILED|ERROR)|passed|failed" "$LOGS/suite.log" | cut -c1-220 | tail -30
