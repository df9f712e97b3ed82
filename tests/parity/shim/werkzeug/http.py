"""``werkzeug.http`` → the date and ETag helpers of ``conditional`` and the
cookie functions of ``cookies`` (aliases only)."""

from _parity_missing import missing_api

from walkthrough.framework.conditional import (  # noqa: F401
    generate_etag,
    http_date,
    is_resource_modified,
    parse_date,
)
from walkthrough.framework.cookies import dump_cookie, parse_cookie  # noqa: F401

__getattr__ = missing_api(__name__)
