"""Pakistan's administrative units: provinces, divisions, districts, with aliases and Urdu names."""
