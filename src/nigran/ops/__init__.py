"""Operating Nigran: backups that restore, the audit chain's head, upgrades (see docs/operations.md)."""
