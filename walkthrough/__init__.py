"""walkthrough: a source walkthrough of the Flask/Werkzeug request lifecycle.

The mini framework it explains lives in ``walkthrough.framework``; the tours, the
probe and the site that serves them are built on top of it.
"""

__version__ = "0.1.0"
