"""Transitional: the per-process memos and the read cache this module served are gone (issue 17).

``access_changed`` stays only until its last caller (``packages_app/services.py``, being reworked in
the same change) drops the call; nothing is kept between requests any more, so there is nothing to
make stale. Delete this module with that call.
"""


def access_changed() -> None:
    """Nothing to do: no process keeps tokens, grants, projects or responses between requests."""
