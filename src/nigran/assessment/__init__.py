"""The monthly security assessment: counting definitions as data, monitors reference series."""
