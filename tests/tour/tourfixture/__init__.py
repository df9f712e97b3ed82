"""Fixture package for the tour engine's tests, imported as `tourfixture`."""
