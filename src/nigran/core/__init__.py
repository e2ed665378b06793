"""Shared types and small utilities that every domain uses and none owns.

Nothing here imports a domain package (policy, monitoring, incidents, …), so every domain may import it
without creating a cycle: errors, problems, line-aware YAML documents, safe output files, spreadsheet-safe
cells, finite numbers, JSON output and settings.
"""
