"""Rill test suite (a package so tests can import tests.fakes)."""
