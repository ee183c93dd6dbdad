"""Indexing of a version's archive: see ``service`` for the lifecycle and ``extract`` for what is indexed."""

from packages_app.indexing.service import (
    PermanentIndexingError,
    TransientIndexingError,
    give_up,
    index_version,
    request_reindex,
)

__all__ = ["PermanentIndexingError", "TransientIndexingError", "give_up", "index_version", "request_reindex"]
