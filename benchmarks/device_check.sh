#!/usr/bin/env bash
# Everything that needs a CUDA GPU, in one short run: the reference recipe's quality through the
# CUDA graph path (float32, and with TensorFloat-32 products), the speed table with issue 17's
# GPU target, where a GPU epoch goes, and the whole suite with the GPU visible (device="auto"
# then trains there; the CUDA tests run). Run from the repository root on the GPU machine, with
# MNIST in $AEKIT_DATA/mnist (default .data) and, optionally, wheels for packages the machine
# lacks in .whl/ (constriction, keras). Full logs go to $OUT (the device tool's folder that
# comes back) or /tmp/aekit-device. About four minutes on an H200 (REPEATS=2: fewer speed
# rounds).
set -u
export AEKIT_DATA=${AEKIT_DATA:-.data} KERAS_BACKEND=torch PYTHONUNBUFFERED=1
LOGS=${OUT:-/tmp/aekit-device}
mkdir -p "$LOGS"
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
# absolute: tests start subprocesses in other folders
export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH}
WORKERS=$(python3 -c "import xdist" 2>/dev/null && echo "-n 12")
PER_TEST=$(python3 -c "import pytest_timeout" 2>/dev/null && echo "--timeout 90")
stamp() { echo "## $1 (at ${SECONDS} s)"; }

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv,noheader
python3 -c "import sys, torch, sklearn; print(sys.version.split()[0], torch.__version__, sklearn.__version__)"

stamp "Reference recipe, 50 epochs on the GPU"
for products in "" "--tf32"; do
    timeout 40 python3 benchmarks/reference_recipe.py --device cuda --compile cuda_graph \
        --skip-torch --skip-keras $products 2>&1 | tail -1
done

stamp "CUDA tests and the README's snippets"
timeout 90 python3 -m pytest -o addopts= -q -p no:cacheprovider -W ignore::DeprecationWarning \
    ${WORKERS:-} ${PER_TEST:-} -rfE -k "cuda or gpu or readme" --junitxml="$LOGS/cuda.xml" \
    tests > "$LOGS/cuda_tests.log" 2>&1
grep -E "^(FAILED|ERROR)|passed|failed" "$LOGS/cuda_tests.log" | cut -c1-200 | tail -12
python3 - "$LOGS/cuda.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
cases = [c for c in ET.parse(sys.argv[1]).iter("testcase")
         if any(w in c.get("name").lower() for w in ("cuda", "gpu"))]
bad = [c.get("name") for c in cases if c.find("failure") is not None or c.find("error") is not None]
skipped = sum(c.find("skipped") is not None for c in cases)
print(f"CUDA tests: {len(cases)}, {len(cases) - len(bad) - skipped} passed, {skipped} skipped, "
      f"failed: {bad}")
PY

stamp "Speed"
timeout 90 python3 benchmarks/speed.py --device cuda --epochs 6 --repeats "${REPEATS:-3}" \
    --skip-scaling --models "reference 784-32-784" > "$LOGS/speed.log" 2>&1
grep -v -i warn "$LOGS/speed.log" | tail -20

stamp "Where a GPU epoch goes"
timeout 60 python3 benchmarks/gpu_epoch.py > "$LOGS/gpu_epoch.log" 2>&1
grep -E "^\||^###|^# |Error" "$LOGS/gpu_epoch.log" | head -12

stamp "Whole suite, GPU visible"
timeout 110 python3 -m pytest -o addopts= -q -p no:cacheprovider -W ignore::DeprecationWarning \
    ${WORKERS:-} ${PER_TEST:-} -rfE tests > "$LOGS/suite.log" 2>&1
grep -E "^(FAILED|ERROR)|passed|failed" "$LOGS/suite.log" | cut -c1-200 | tail -12
stamp "Done"
