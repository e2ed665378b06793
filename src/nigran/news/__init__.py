"""News ingest: articles from files, folders, JSONL, HTML pages, RSS/Atom feeds and configured URLs."""
