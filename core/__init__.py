"""rill.core: everything without Qt (providers, the chat session, the store, the CLI)."""
