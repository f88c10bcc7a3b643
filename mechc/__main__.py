"""`python -m mechc ...`: the same command line as the `mechc` script."""

from .cli import main

raise SystemExit(main())
