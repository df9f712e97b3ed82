"""The mini framework the tours explain: a WSGI server and a Flask-shaped app.

``serving`` turns sockets into WSGI calls; ``app`` turns WSGI calls into views.
This package imports only the standard library, so every line a tour shows is
either ours or CPython's.
"""
