"""``python -m symgrad`` runs the command line (see :mod:`symgrad.cli`)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
