"""``-o -``: a command's rows written to standard output as CSV, for a pipe (``aekit score
model.safetensors data.csv -o - | sort -g``).

The command writes its CSV file as always, into a temporary folder; once the file is complete,
its bytes are copied to standard output, and what the command printed goes to standard error
after them (so "wrote ..." is said only once the rows are through). A command that fails writes
no partial table into the pipe, and no command needs to know about pipes.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile

from aekit._cli_common import CLIError, is_main_rank

STDOUT = "-"
ROW_COMMANDS = ("encode", "reconstruct", "score", "detect", "impute", "decompress", "generate",
                "denoise")


@contextlib.contextmanager
def output_to_stdout(args):
    """Run the command within this; with ``-o -`` its table reaches standard output."""
    if getattr(args, "output", None) != STDOUT:
        yield
        return
    if args.command not in ROW_COMMANDS:
        raise CLIError(f"-o -: 'aekit {args.command}' does not write a table of rows to "
                       f"standard output ({', '.join(ROW_COMMANDS)} do): name a file")
    with tempfile.TemporaryDirectory(prefix="aekit-stdout-") as folder:
        args.output = os.path.join(folder, "rows.csv")
        said = io.StringIO()  # "wrote ... to standard output": said once it is true
        try:
            with contextlib.redirect_stdout(_Renamed(said, args.output, "standard output")):
                yield
        except BaseException:
            sys.stderr.write(said.getvalue())
            raise
        with open(args.output, "rb") as table:
            shutil.copyfileobj(table, sys.stdout.buffer)
        sys.stdout.flush()
        sys.stderr.write(said.getvalue())


@contextlib.contextmanager
def rank_zero_writes(args):
    """Under torchrun every rank runs the command, and rank 0 alone writes its rows (OUT of a
    row command, ``-o -`` too): the other ranks write theirs into a temporary folder, which is
    discarded. (Models are written by rank 0 alone wherever they are saved.)"""
    if is_main_rank() or args.command not in ROW_COMMANDS or getattr(args, "output",
                                                                       None) is None:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="aekit-rank-") as folder:
        name = "rows.csv" if args.output == STDOUT else os.path.basename(args.output)
        args.output = os.path.join(folder, name)
        yield


class _Renamed(io.TextIOBase):
    """A text stream that writes to ``stream``, with the temporary file's path said as what it
    stands for ("wrote 10 scores to standard output")."""

    def __init__(self, stream, old: str, new: str):
        self.stream, self.old, self.new = stream, old, new

    def write(self, text: str) -> int:
        self.stream.write(text.replace(self.old, self.new))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()
