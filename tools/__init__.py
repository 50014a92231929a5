"""The agent's tools: typed wrappers over the scheduling service's HTTP API."""
