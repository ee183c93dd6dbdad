"""The v0 people (a modeler, a viewer, an admin and a stranger of acme/finance) for the registry tests."""

import io

import pytest
from django.core.management import call_command

from tests.api_v0.conftest import admin, as_admin, as_stranger, as_viewer, modeler, stranger, viewer  # noqa: F401


@pytest.fixture
def run_demo(django_capture_on_commit_callbacks):
    """Run ``load_demo`` as a real process would: what it schedules on commit (indexing) runs. Its stdout."""

    def run() -> str:
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("load_demo", stdout=out, stderr=io.StringIO())
        return out.getvalue()

    return run
