"""Implementation monitoring: reporting cycles, obligations, verified submissions and transparent scoring."""
