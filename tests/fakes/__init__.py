"""Local HTTP servers that imitate the remote LLM APIs Rill talks to, for tests."""
