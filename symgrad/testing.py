"""Assertion helpers and the pytest plugin (registered through ``pytest11``)."""
