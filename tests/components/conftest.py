import pytest

from components_app import services
from registry.models import Role

SOURCE = """\
export default defineComponent({
  metadata: { title: "Product card", description: "Shows a product." },
  properties: { title: PropertyString({ title: "Title", description: "The product name", required: true }) },
  body: ({ title }: { title: string }) => VStack([Text(title)]),
});
"""


@pytest.fixture
def author(user, project, grant):
    grant(project, Role.MODELER, user=user)
    return user


@pytest.fixture
def make_component(project, author):
    def build(name: str = "ProductCard", *, type: str = "view", content: str = SOURCE, in_project=None):
        return services.create_component(
            project=in_project or project, name=name, type=type, content=content, author=author
        )

    return build


@pytest.fixture
def publish(project, author):
    def run(version: str, *, in_project=None, **kwargs):
        return services.publish_package(project=in_project or project, version=version, author=author, **kwargs)

    return run


def reload(component):
    component.refresh_from_db()
    return component
