"""Make ``python -m walkthrough`` the same as the ``walkthrough`` command."""

from walkthrough.cli import main

raise SystemExit(main())
