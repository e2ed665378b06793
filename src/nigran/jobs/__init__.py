"""Background jobs: imports, exports and reports that run outside a request (see docs/architecture.md)."""
