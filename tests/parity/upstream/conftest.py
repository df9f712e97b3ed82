# Flask 3.1.3 tests/conftest.py, vendored for the parity run (see README.md).
# ADAPTED (walkthrough parity), the places marked "ADAPTED" below: our
# framework has no ``request_ctx`` proxy, so the leak check reads the context
# variable behind it; and pytest 9 renamed ``monkeypatch.notset`` to
# ``NOTSET``. Everything else is byte-for-byte Flask's.
import os
import sys

import pytest
from _pytest import monkeypatch

# ADAPTED: pytest 9 spells it NOTSET; Flask's file says monkeypatch.notset.
NOTSET = getattr(monkeypatch, "notset", getattr(monkeypatch, "NOTSET", None))

from flask import Flask
# ADAPTED: was `from flask.globals import request_ctx`.
from walkthrough.framework.globals import _cv_request


@pytest.fixture(scope="session", autouse=True)
def _standard_os_environ():
    """Set up ``os.environ`` at the start of the test session to have
    standard values. Returns a list of operations that is used by
    :func:`._reset_os_environ` after each test.
    """
    mp = monkeypatch.MonkeyPatch()
    out = (
        (os.environ, "FLASK_ENV_FILE", NOTSET),
        (os.environ, "FLASK_APP", NOTSET),
        (os.environ, "FLASK_DEBUG", NOTSET),
        (os.environ, "FLASK_RUN_FROM_CLI", NOTSET),
        (os.environ, "WERKZEUG_RUN_MAIN", NOTSET),
    )

    for _, key, value in out:
        if value is NOTSET:
            mp.delenv(key, False)
        else:
            mp.setenv(key, value)

    yield out
    mp.undo()


@pytest.fixture(autouse=True)
def _reset_os_environ(monkeypatch, _standard_os_environ):
    """Reset ``os.environ`` to the standard environ after each test,
    in case a test changed something without cleaning up.
    """
    monkeypatch._setitem.extend(_standard_os_environ)


@pytest.fixture
def app():
    app = Flask("flask_test", root_path=os.path.dirname(__file__))
    app.config.update(
        TESTING=True,
        SECRET_KEY="test key",
    )
    return app


@pytest.fixture
def app_ctx(app):
    with app.app_context() as ctx:
        yield ctx


@pytest.fixture
def req_ctx(app):
    with app.test_request_context() as ctx:
        yield ctx


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def test_apps(monkeypatch):
    monkeypatch.syspath_prepend(os.path.join(os.path.dirname(__file__), "test_apps"))
    original_modules = set(sys.modules.keys())

    yield

    # Remove any imports cached during the test. Otherwise "import app"
    # will work in the next test even though it's no longer on the path.
    for key in sys.modules.keys() - original_modules:
        sys.modules.pop(key)


@pytest.fixture(autouse=True)
def leak_detector():
    yield

    # make sure we're not leaking a request context since we are
    # testing flask internally in debug mode in a few cases
    leaks = []
    # ADAPTED: was `while request_ctx: ... request_ctx.pop()`.
    while _cv_request.get(None) is not None:
        leaks.append(_cv_request.get())
        _cv_request.get().pop()

    assert leaks == []


@pytest.fixture
def modules_tmp_path(tmp_path, monkeypatch):
    """A temporary directory added to sys.path."""
    rv = tmp_path / "modules_tmp"
    rv.mkdir()
    monkeypatch.syspath_prepend(os.fspath(rv))
    return rv


@pytest.fixture
def modules_tmp_path_prefix(modules_tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "prefix", os.fspath(modules_tmp_path))
    return modules_tmp_path


@pytest.fixture
def site_packages(modules_tmp_path, monkeypatch):
    """Create a fake site-packages."""
    py_dir = f"python{sys.version_info.major}.{sys.version_info.minor}"
    rv = modules_tmp_path / "lib" / py_dir / "site-packages"
    rv.mkdir(parents=True)
    monkeypatch.syspath_prepend(os.fspath(rv))
    return rv


@pytest.fixture
def purge_module(request):
    def inner(name):
        request.addfinalizer(lambda: sys.modules.pop(name, None))

    return inner
