"""Atomic file writes: a crash mid-write never leaves a truncated file under the final name."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is synced and renamed onto ``path``.

    Write to the yielded path with any library. On an exception the temporary file is removed
    and ``path`` keeps whatever it held before. A symbolic link stays a link: the file it
    points to is replaced.
    """
    final = Path(path)
    if final.is_symlink():  # write where the link points, and keep the link
        final = Path(os.path.realpath(final))
    directory = final.parent if str(final.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {final}: folder {directory} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=directory)
    except OSError as error:  # named by the file asked for, not by the temporary one
        named = type(error)(f"cannot write {final}: {error.strerror or error} (in the folder "
                            f"{directory})")
        named.errno = error.errno  # (a PermissionError stays one, errno and all)
        raise named from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(final))
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(directory)


def _mode_for(final: Path) -> int:
    """The mode ``open`` would give a new file: an existing file's own, else 0o666 less the
    umask (``mkstemp`` makes its files 0o600 whatever the umask says)."""
    with contextlib.suppress(OSError):
        return final.stat().st_mode & 0o7777
    return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where Linux says it (setting and
    restoring it would briefly leave other threads' new files open to everyone)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    umask = os.umask(0o077)
    os.umask(umask)
    return umask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
