"""``werkzeug`` for the parity run: aliases of walkthrough.framework, nothing more.

Only ever on ``sys.path`` inside the parity subprocess (tests/parity/parity_suites.py).
``werkzeug.serving`` *is* our serving module (a ``sys.modules`` alias), so a
test that monkeypatches ``werkzeug.serving.run_simple`` patches what
``App.run`` calls.
"""

import sys

import walkthrough.framework.serving as serving

sys.modules[__name__ + ".serving"] = serving

# Import the submodules before __getattr__ exists: `from werkzeug import
# routing` must find the module, not a placeholder.
from _parity_missing import missing_api  # noqa: E402

import werkzeug.datastructures  # noqa: E402, F401
import werkzeug.exceptions  # noqa: E402, F401
import werkzeug.http  # noqa: E402, F401
import werkzeug.routing  # noqa: E402, F401
import werkzeug.test  # noqa: E402, F401
import werkzeug.wrappers  # noqa: E402, F401

__getattr__ = missing_api(__name__)
