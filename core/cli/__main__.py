"""``python -m rill.core.cli``: the same command as ``rill-cli``."""

from rill.core.cli.parse import main

raise SystemExit(main())
