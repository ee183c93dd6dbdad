"""Whole v0 lists, streamed: a JSON array written chunk by chunk, so a list of any length costs constant
memory and the same queries as a list of one.

Credible documents its lists as plain arrays; a client reading one must get every item, not a first page.
Without ``?page``/``?limit`` a v0 list is therefore the whole list, written from ``QuerySet.iterator`` (a
server-side cursor on PostgreSQL) in chunks of ``CHUNK_SIZE`` rows, each chunk serialized on its own (a
queryset's ``prefetch_related`` runs per chunk).
"""

import json
from collections.abc import Iterable, Iterator
from itertools import islice

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from rest_framework.utils.encoders import JSONEncoder

CHUNK_SIZE = 500


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


def streamed_list(items: Iterable, serializer_class, *, context: dict | None = None) -> StreamingHttpResponse:
    return StreamingHttpResponse(json_array(items, serializer_class, context=context), content_type="application/json")
