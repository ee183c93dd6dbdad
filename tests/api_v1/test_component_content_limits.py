import pytest

from components_app.api.serializers import CONTENT_MAX_LENGTH
from tests.api_v1.conftest import CARD_SOURCE
from tests.components.sources import bindjs

pytestmark = pytest.mark.django_db


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]["code"], body["error"]["details"]


def test_creating_a_component_with_content_over_the_limit_is_400_validation_failed(api, base):
    content = "// x\n" + "a" * CONTENT_MAX_LENGTH
    response = api.post(f"{base}/components", {"name": "Huge", "type": "view", "content": content}, format="json")
    assert response.status_code == 400
    code, details = error_of(response)
    assert code == "VALIDATION_FAILED"
    assert "content" in str(details)
    assert api.get(f"{base}/components").json()["data"] == []


def test_content_of_exactly_the_limit_is_accepted(api, base):
    content = bindjs("view()") + " " * (CONTENT_MAX_LENGTH - len(bindjs("view()")))
    response = api.post(f"{base}/components", {"name": "Big", "type": "view", "content": content}, format="json")
    assert response.status_code == 201
    assert len(response.json()["content"]) == CONTENT_MAX_LENGTH


def test_editing_a_component_to_content_over_the_limit_is_400_validation_failed(api, base, make_component):
    component = make_component()
    response = api.put(f"{base}/components/{component.pk}", {"content": "a" * (CONTENT_MAX_LENGTH + 1)}, format="json")
    assert response.status_code == 400
    assert error_of(response)[0] == "VALIDATION_FAILED"
    component.refresh_from_db()
    assert component.content == CARD_SOURCE


def test_a_prop_with_a_long_run_of_spaces_is_a_400_compilation_error_through_the_api(api, base):
    # How long the answer takes is measured by bench/hostile_inputs.py.
    content = "// @prop x: string = a" + " " * 60_000 + "b"
    response = api.post(f"{base}/components", {"name": "Spaces", "type": "view", "content": content}, format="json")
    assert response.status_code == 400
    assert error_of(response)[0] == "COMPILATION_ERROR"


@pytest.mark.parametrize("default", ["NaN", "Infinity", "1e999"])
def test_a_non_finite_default_is_400_compilation_error_not_a_500_or_409(api, base, default):
    content = bindjs("x()", properties=f"{{ x: PropertyNumber({{ defaultValue: {default} }}) }}")
    response = api.post(f"{base}/components", {"name": "Card", "type": "view", "content": content}, format="json")
    assert response.status_code == 400
    assert error_of(response) == (
        "COMPILATION_ERROR",
        {
            "errors": [
                {
                    "line": 1,
                    "column": 16,
                    "message": "RangeError: properties.x.defaultValue is not a finite number",
                }
            ]
        },
    )


def test_a_deeply_nested_default_is_400_compilation_error_not_a_500(api, base):
    content = "let deep: unknown[] = [];\nfor (let i = 0; i < 100_000; i++) deep = [deep];\n" + bindjs(
        "x()", properties="{ x: PropertyArray({ defaultValue: deep }) }"
    )
    response = api.post(f"{base}/components", {"name": "Deep", "type": "view", "content": content}, format="json")
    assert response.status_code == 400
    code, details = error_of(response)
    assert code == "COMPILATION_ERROR"
    assert details["errors"][0]["message"].endswith("is nested more than 32 levels deep")
