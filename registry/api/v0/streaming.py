"""Whole v0 lists: a JSON array written chunk by chunk, so a list of any length costs constant memory
and the same queries as a list of one.

Credible documents its lists as plain arrays; a client reading one must get every item, not a first page.
Without ``?page``/``?limit`` a v0 list is therefore the whole list, written from ``QuerySet.iterator`` (a
server-side cursor on PostgreSQL) in chunks of ``CHUNK_SIZE`` rows, each chunk serialized on its own (a
queryset's ``prefetch_related`` runs per chunk). The array is spooled (in memory up to
``SPOOL_IN_MEMORY_BYTES``, then to a temporary file) while it is hashed, so the answer carries an ``ETag``
like every other read and a matching ``If-None-Match`` is a 304; the spool is then streamed out.
"""

import hashlib
import json
import tempfile
from collections.abc import Iterable, Iterator
from itertools import islice

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.utils.cache import get_conditional_response
from rest_framework.utils.encoders import JSONEncoder

CHUNK_SIZE = 500
SPOOL_IN_MEMORY_BYTES = 1024 * 1024


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    rows = items.iterator(chunk_size=size) if isinstance(items, QuerySet) else iter(items)
    while chunk := list(islice(rows, size)):
        yield chunk


def json_array(items: Iterable, serializer_class, *, context: dict | None = None) -> Iterator[bytes]:
    """``[item, item, ...]`` as bytes, each item as ``serializer_class`` renders it, written as DRF's
    ``JSONRenderer`` writes (compact, UTF-8)."""
    yield b"["
    first = True
    for chunk in _chunks(items, CHUNK_SIZE):
        parts = []
        for item in serializer_class(chunk, many=True, context=context or {}).data:
            parts.append(json.dumps(item, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":")))
        if parts:
            yield (b"" if first else b",") + ",".join(parts).encode()
            first = False
    yield b"]"


def whole_list(request, items: Iterable, serializer_class, *, context: dict | None = None) -> HttpResponse:
    """The whole list as one JSON array, with a strong ``ETag`` (sha256 of the bytes); 304 when it matches."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115 (FileResponse closes it)
    digest = hashlib.sha256()
    for part in json_array(items, serializer_class, context=context):
        digest.update(part)
        spool.write(part)
    etag = f'"{digest.hexdigest()}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        spool.close()
        not_modified["ETag"] = etag
        return not_modified
    spool.seek(0)
    response = FileResponse(spool, content_type="application/json")  # closes the spool once sent
    response["ETag"] = etag
    return response
