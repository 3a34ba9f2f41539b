"""The agent-based economics simulation of issue 12 (`make econ`, docs/economics.md)."""
