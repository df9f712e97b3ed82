"""Keep the upstream suites and the shim out of the normal test run.

They import ``flask`` and ``werkzeug`` meaning *ours* (through ``shim/``), so
they only ever run in the child process that ``parity_suites.py`` starts;
here, in the normal run, ``flask`` is the real one.
"""

collect_ignore = ["upstream", "shim"]
