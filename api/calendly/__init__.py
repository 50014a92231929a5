"""The mock Calendly service: availability, booking, lookup and cancellation."""
