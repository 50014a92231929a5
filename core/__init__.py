"""Cross-cutting pieces every layer shares: settings, the clock, logging with masking, SQLite
connections, the formats (times, day labels, parts of the day, e-mail) and the error format."""
