"""The annual review report: gathered through a clearance-filtered session, drawn as HTML, PDF and tables."""
