"""Turn a request body into ``form`` and ``files``: bytes in, MultiDicts out.

Runs the first time a view reads ``request.form``. Werkzeug's ``formparser``
streams multipart through its own parser; we hand the buffered body (capped by
``MAX_CONTENT_LENGTH``) to the stdlib ``email`` parser. No spooling to disk."""

from __future__ import annotations

import email.parser
import email.policy
from email.message import EmailMessage, Message
from io import BytesIO
from urllib.parse import parse_qsl

from walkthrough.framework.datastructures import FileStorage, MultiDict
from walkthrough.framework.exceptions import BadRequest

FORM_URLENCODED = "application/x-www-form-urlencoded"
MULTIPART_FORM_DATA = "multipart/form-data"


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """Split ``text/html; charset=utf-8`` into the type and its parameters.

    The stdlib's MIME parser already handles quoting and RFC 2231 parameters,
    so lend it the value rather than splitting on ``;`` by hand.
    """
    if not value:
        return "", {}
    message = Message()
    message["content-type"] = value
    params = message.get_params() or []
    return message.get_content_type(), {key: val for key, val in params[1:]}


def parse_form_data(
    body: bytes, content_type: str | None
) -> tuple[MultiDict, MultiDict]:
    """Parse a form body by its Content-Type; other types give empty forms.

    Unknown types are not an error: a JSON body simply has no form fields.
    """
    mimetype, options = parse_options_header(content_type)
    if mimetype == FORM_URLENCODED:
        return parse_urlencoded(body), MultiDict()
    if mimetype == MULTIPART_FORM_DATA:
        return parse_multipart(body, boundary=options.get("boundary"))
    return MultiDict(), MultiDict()


def parse_urlencoded(data: bytes) -> MultiDict:
    """Decode ``a=1&b=2`` (a form body or a query string) into a MultiDict.

    Parsing as latin-1 keeps every byte; each key and value is then re-read
    as UTF-8, which is what browsers send, escaped or raw.
    """
    text = data.decode("latin-1")
    pairs = parse_qsl(text, keep_blank_values=True, encoding="latin-1")
    return MultiDict((_recode(key), _recode(value)) for key, value in pairs)


def _recode(text: str) -> str:
    """Re-read latin-1 text as the UTF-8 it really is."""
    return text.encode("latin-1").decode("utf-8", "replace")


def parse_multipart(
    body: bytes, *, boundary: str | None
) -> tuple[MultiDict, MultiDict]:
    """Split a multipart body into text fields and uploaded files.

    A missing boundary or a body that never opens with it is the client's
    mistake, so it becomes a 400 that says which.
    """
    if not boundary:
        raise BadRequest("multipart/form-data body without a boundary parameter.")
    head = f'Content-Type: {MULTIPART_FORM_DATA}; boundary="{boundary}"\r\n\r\n'
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(head.encode("latin-1") + body)
    if not isinstance(message, EmailMessage) or message.defects:
        raise BadRequest(f"Malformed multipart/form-data body (boundary {boundary!r}).")
    form, files = MultiDict(), MultiDict()
    for part in message.iter_parts():
        _add_part(part, form=form, files=files)
    return form, files


def _add_part(part: Message, *, form: MultiDict, files: MultiDict) -> None:
    """File one MIME part under its field name, as text or as a FileStorage."""
    name = part.get_param("name", header="content-disposition")
    if not isinstance(name, str):
        return
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    filename = part.get_filename()
    if filename is None:
        form.add(name, data.decode(part.get_content_charset() or "utf-8", "replace"))
        return
    upload = FileStorage(
        BytesIO(data),
        filename=filename,
        name=name,
        content_type=part.get_content_type(),
    )
    files.add(name, upload)
