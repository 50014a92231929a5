"""The mock Calendly service, the bottom layer: availability, booking, lookup, cancellation.

It imports only `core`. `SchedulerService` (service.py) is all an app needs: it owns the
routes (router.py), the request models (models.py), the rules (rules.py), the slot sources
(slots.py), the bookings store (store.py) and its background work (notices.py).
"""
