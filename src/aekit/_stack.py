"""Warnings that name the user's line: the first frame outside aekit, however deep inside the
library the warning is raised (pandas finds its ``stacklevel`` the same way)."""

from __future__ import annotations

import inspect
import os

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn``, called where this is called, that names the
    first frame outside aekit (past the whole stack under the ``aekit`` command)."""
    frame = inspect.currentframe()
    level = 0
    try:
        while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
            frame = frame.f_back
            level += 1
    finally:
        del frame  # a frame kept in a local would hold the stack alive
    return level
