"""The v1 browsable pages' forms show what each method takes, and the raw form is JSON first."""

import json

import pytest

from tests.api_v0.test_browsable_api import Forms, user_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, modeler):
    client.force_login(modeler)
    return client


def test_the_discard_form_has_no_fields_since_discarding_takes_no_body(browser, base, make_component):
    component = make_component()
    response = browser.get(f"{base}/components/{component.pk}/discard", HTTP_ACCEPT="text/html")
    forms = Forms(response.content.decode())

    assert user_fields(forms.html_post_form()) == set()
    assert json.loads(forms.raw_form("POST")["fields"]["_content"]["value"]) == {}


def test_the_component_page_puts_json_first_in_its_raw_form(browser, base, make_component):
    component = make_component()
    response = browser.get(f"{base}/components/{component.pk}", HTTP_ACCEPT="text/html")

    content_type = Forms(response.content.decode()).raw_form("PUT")["fields"]["_content_type"]
    assert content_type["value"] == "application/json"
