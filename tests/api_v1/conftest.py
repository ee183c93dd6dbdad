import pytest

from components_app import services
from registry.models import Role

CARD_SOURCE = """\
export default defineComponent({
  metadata: { title: "Product card", description: "Shows a product with its price." },
  properties: {
    title: PropertyString({ title: "Title", description: "The product name", required: true }),
    price: PropertyNumber({ title: "Price", description: "Price in cents", defaultValue: 0 }),
  },
  body: ({ title, price }: { title: string; price: number }) => VStack([Text(title), Text(String(price))]),
});
"""


@pytest.fixture
def modeler(user, project, grant):
    grant(project, Role.MODELER, user=user)
    return user


@pytest.fixture
def api(client_for, modeler):
    """A client for a modeler of acme/finance."""
    return client_for(modeler)


@pytest.fixture
def base():
    return "/v1/organizations/acme/projects/finance"


@pytest.fixture
def make_component(project, modeler):
    def build(name: str = "ProductCard", *, type: str = "view", content: str = CARD_SOURCE, in_project=None):
        return services.create_component(
            project=in_project or project, name=name, type=type, content=content, author=modeler
        )

    return build


@pytest.fixture
def publish(project, modeler):
    def run(version: str, *, in_project=None, description: str = ""):
        return services.publish_package(
            project=in_project or project, version=version, description=description, author=modeler
        )

    return run
