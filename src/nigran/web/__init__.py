"""The web application: FastAPI over the same services the command line calls (see docs/architecture.md)."""
