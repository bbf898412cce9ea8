"""The main window: it builds the parts of every other gui package and wires them
together, with the chat bar above the chat and the status line below it.
"""

from rill.gui.window.main_window import MainWindow

__all__ = ["MainWindow"]
