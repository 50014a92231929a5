"""Helpers shared by the test suite: real servers (in-thread and subprocess), log capture."""
