"""``werkzeug.test`` → ``walkthrough.framework.testing`` (aliases only)."""

from _parity_missing import missing_api

from walkthrough.framework.testing import (  # noqa: F401
    Client,
    EnvironBuilder,
    TestResponse,
    create_environ,
    run_wsgi_app,
)

__getattr__ = missing_api(__name__)
