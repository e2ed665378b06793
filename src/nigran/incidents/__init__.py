"""The security incident database: UCDP, ACLED, GTD and CSV imports, analytics, incident indicators."""
