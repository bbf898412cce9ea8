"""Today's chat pane before issue 15 (one QTextDocument edited in regions), kept only as
the baseline the surface benchmarks measure against in the same run. Not part of the app.
"""

from bench.old_transcript.view import ChatView

__all__ = ["ChatView"]
