"""gunicorn settings for a team's copy of the site.

    gunicorn -c python:walkthrough.gunicorn_conf walkthrough.wsgi:app

gunicorn reads this module's lower-case names as its settings (so they are not
UPPER_CASE constants); command-line flags still win. Each choice, and why:

- ``worker_class = "gthread"``: ``/probe/stream`` is Server-Sent Events. A
  ``sync`` worker is busy for a whole stream and is killed by ``timeout`` if one
  outlives it; a gthread worker's main thread keeps beating while its threads
  stream, and idle keep-alive connections wait in its poller, not in a thread.
- ``workers`` × ``threads`` = 2 × 4 (``WALKTHROUGH_WORKERS``,
  ``WALKTHROUGH_THREADS``): the site is CPU-bound Python, so processes buy
  parallelism and threads cover the waiting (streams, slow clients). Each worker
  admits at most 4 probes at once (``ProbeLimiter``), so a busy worker may hold
  all its threads for a probe's few tens of milliseconds.
- ``bind`` = 127.0.0.1:8000 (``WALKTHROUGH_BIND``): only the proxy on this host
  should reach the site; ``0.0.0.0:8000`` to expose it, ``unix:/path`` for a socket.
- ``timeout = 30``: with gthread this is how long a worker may stop beating
  before the arbiter kills it (a hung process), not a limit on a request.
- ``graceful_timeout = 10``: on SIGTERM or a reload, in-flight requests and
  streams get this long to finish; a probe takes well under a second.
- ``keepalive = 75``: longer than nginx's upstream ``keepalive_timeout``
  (60 s), so the proxy, not gunicorn, closes an idle connection, and nginx
  never sends a request down a socket gunicorn has just closed.
- ``accesslog = "-"``: one line per request on stdout, for the team's log
  collector; errors stay on stderr (gunicorn's default ``errorlog``).
- ``control_socket_disable = True``: gunicorn ≥ 25.1 otherwise opens a control
  socket at ``$XDG_RUNTIME_DIR/gunicorn.ctl`` or ``~/.gunicorn/gunicorn.ctl``,
  one path shared by every gunicorn of that user; nothing here uses it.
- ``forwarded_allow_ips`` is left to the operator (gunicorn's default trusts
  127.0.0.1 for X-Forwarded-Proto); the app's own trust is
  ``WALKTHROUGH_TRUSTED_PROXIES``, read by ``walkthrough.wsgi``.
"""

from __future__ import annotations

import os

BIND_ENV_VAR = "WALKTHROUGH_BIND"
WORKERS_ENV_VAR = "WALKTHROUGH_WORKERS"
THREADS_ENV_VAR = "WALKTHROUGH_THREADS"


def positive_int_from_env(name: str, default: int) -> int:
    """Read a count ≥ 1 from the environment; refuse anything else, naming it."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdecimal()) or int(raw) < 1:
        raise ValueError(f"{name}={raw!r}: expected a whole number >= 1")
    return int(raw)


wsgi_app = "walkthrough.wsgi:app"
bind = [os.environ.get(BIND_ENV_VAR, "").strip() or "127.0.0.1:8000"]
worker_class = "gthread"
workers = positive_int_from_env(WORKERS_ENV_VAR, 2)
threads = positive_int_from_env(THREADS_ENV_VAR, 4)
timeout = 30
graceful_timeout = 10
keepalive = 75
accesslog = "-"
control_socket_disable = True
proc_name = "walkthrough"
