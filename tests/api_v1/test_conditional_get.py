"""v1 reads carry an ETag and answer a matching If-None-Match with 304, after the permission check."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_component_list_and_detail_answer_304_for_their_etag_and_a_change_makes_a_new_one(api, base, make_component):
    component = make_component()
    for url in (f"{base}/components", f"{base}/components/{component.pk}"):
        etag = api.get(url)["ETag"]
        assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    etag = api.get(f"{base}/components/{component.pk}")["ETag"]
    assert api.put(f"{base}/components/{component.pk}", {"name": "RenamedCard"}, format="json").status_code == 200
    assert api.get(f"{base}/components/{component.pk}", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_stranger_holding_the_etag_gets_404_not_304(api, base, make_component, client_for):
    url = f"{base}/components"
    make_component()
    etag = api.get(url)["ETag"]
    stranger = client_for(UserFactory(username="stranger"))
    assert stranger.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404
