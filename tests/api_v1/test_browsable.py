import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["components", "components/{id}", "components/{id}/versions", "dependencies", "packages", "packages/1.0.0"],
)
def test_the_browsable_api_renders_v1_pages_as_html(client, modeler, base, make_component, publish, path):
    component = make_component()
    publish("1.0.0")
    client.force_login(modeler)
    response = client.get(f"{base}/{path.format(id=component.pk)}", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_the_browsable_form_for_creating_a_component_asks_for_its_input_fields(client, modeler, base):
    client.force_login(modeler)
    html = client.get(f"{base}/components", HTTP_ACCEPT="text/html").content.decode()
    assert 'name="content"' in html
    assert 'name="compiled"' not in html
