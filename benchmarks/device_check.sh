#!/usr/bin/env bash
# Everything that needs a CUDA GPU, in one short run: the CUDA tests, the speed tables and the
# reference recipe's quality through the CUDA graph path. Run from the repository root on the
# GPU machine, with MNIST in $AEKIT_DATA/mnist (default .data) and, optionally, wheels for
# packages the machine lacks in .whl/ (keras, namex, optree, scikit-learn).
set -u
export AEKIT_DATA=${AEKIT_DATA:-.data} KERAS_BACKEND=torch PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=src${PYTHONPATH:+:$PYTHONPATH}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import sys, torch, sklearn; print(sys.version.split()[0], torch.__version__, sklearn.__version__)"

echo "## CUDA tests"
timeout 150 python3 -m pytest -o addopts="" -q -p no:cacheprovider -W ignore::DeprecationWarning \
    tests/test_fast_paths.py tests/test_step_runs.py tests/test_streaming_fit.py \
    tests/test_losses.py 2>&1 | tail -25

echo "## Reference recipe, 50 epochs on the GPU"
for mode in cuda_graph; do
    timeout 120 python3 benchmarks/reference_recipe.py --device cuda --compile "$mode" \
        --skip-torch --skip-keras 2>&1 | tail -1
done

echo "## Speed"
timeout 300 python3 benchmarks/speed.py --device cuda --epochs 4 2>&1 | grep -v -i warn
