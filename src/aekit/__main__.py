"""``python -m aekit`` (and ``torchrun -m aekit``): the same as the ``aekit`` command."""

import sys

from aekit.cli import main

sys.exit(main())
