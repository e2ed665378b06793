"""Extraction of incidents from news articles, the analysts' review queue, and its evaluation."""
