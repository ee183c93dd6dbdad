"""Indexing of a version's archive. Filled in by the indexing issue (#6); until then versions stay `unknown`."""


def index_version(*, version_id: int) -> None:
    return None
