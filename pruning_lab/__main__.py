"""``python -m pruning_lab``: the command line of :mod:`pruning_lab.cli`."""

from .cli import main

raise SystemExit(main())
