"""Fidelity tests of the fake API servers against official client SDKs."""
