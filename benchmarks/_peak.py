"""Peak resident memory of a child process, read by the child itself.

``os.wait4``'s ``ru_maxrss`` is kept across ``exec``, so a child forked from a large parent
reports the parent's size; ``VmHWM`` in ``/proc/self/status`` belongs to the new program alone.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

_WRAPPER = """
import runpy, sys
out, mode, target, *rest = sys.argv[1:]

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024

try:
    if mode == "-m":
        sys.argv = [target, *rest]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        exec(compile(target, "<baseline>", "exec"))
finally:
    with open(out, "w") as handle:
        handle.write(str(peak_mb()))
"""


def measure(args: list[str], env: dict) -> tuple[float, float]:
    """``(seconds, peak RSS in MB)`` of ``python -m MODULE ARGS...`` or ``python -c CODE``
    (``args`` starts with ``-m`` or ``-c``), run in a fresh process."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "peak"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", _WRAPPER, str(out), *args], env=env,
                       stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - started, float(out.read_text())
