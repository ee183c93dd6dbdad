"""Source text and JSON on console pages: in a monospace block that keeps every space, escaped."""

import pytest
from django.urls import reverse

from components_app.services import create_component
from tests.factories import make_version

pytestmark = pytest.mark.django_db

SOURCE = (
    "export default defineComponent({\n  body: ({ title }: { title: string }) => {\n    if (!title) {\n"
    '      return "<none>";\n    }\n  },\n});\n'
)


def test_component_source_is_shown_in_a_block_that_keeps_its_indentation(staff_client, project, staff_user):
    card = create_component(project=project, name="Card", type="view", content=SOURCE, author=staff_user)

    page = staff_client.get(reverse("admin:components_app_component_change", args=[card.pk])).content.decode()

    assert (
        '<pre class="source-block" data-language="typescript">export default defineComponent({\n'
        "  body: ({ title }: { title: string }) =&gt; {\n    if (!title) {\n"
        "      return &quot;&lt;none&gt;&quot;;\n    }\n  },\n});\n</pre>"
    ) in page


def test_a_version_manifest_is_shown_as_indented_json(staff_client, package):
    version = make_version(package, "1.0.0", manifest={"name": "ledger", "explores": ["revenue"]})

    page = staff_client.get(reverse("admin:packages_app_version_change", args=[version.pk])).content.decode()

    assert (
        '<pre class="source-block" data-language="json">{\n  &quot;name&quot;: &quot;ledger&quot;,\n'
        "  &quot;explores&quot;: [\n    &quot;revenue&quot;\n  ]\n}</pre>"
    ) in page
