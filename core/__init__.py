"""Cross-cutting pieces every layer shares: settings, the clock, logging."""
