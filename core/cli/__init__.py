"""The command line: ``rill ask``, ``rill chat``, ``rill history`` and friends.

Public face: :func:`main` (the ``rill-cli`` entry point; ``python -m rill.core.cli``
runs it too). ``run`` and ``history`` load only when a subcommand needs them.
"""

from rill.core.cli.parse import main

__all__ = ["main"]
