"""A module that fails while it loads, for `check`'s counterpart faults."""

raise RuntimeError("this module always fails to import")
