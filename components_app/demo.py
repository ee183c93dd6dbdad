"""Demo component projects for ``manage.py load_demo``: every component status, published through the services."""

from django.db import transaction

from components_app import services
from components_app.models import Component
from registry.models import Organization, Project

# BindJS components: TypeScript modules whose default export is defineComponent(...).
BUTTON = """\
type Props = { label: string; disabled: boolean };

export default defineComponent({
  metadata: { title: "Button", description: "A clickable call to action." },
  properties: {
    label: PropertyString({ title: "Label", description: "What the button says", required: true }),
    disabled: PropertyBoolean({ title: "Disabled", defaultValue: false }),
  },
  body: (props: Props) => Button(props.label, { disabled: props.disabled }),
});
"""

PRODUCT_CARD = """\
export default defineComponent({
  metadata: { title: "Product card", description: "Shows a product with its price." },
  properties: {
    title: PropertyString({ title: "Title", description: "The product name", required: true }),
    price: PropertyNumber({ title: "Price", description: "Price in cents", defaultValue: 0, validation: { min: 0 } }),
    image: PropertyAsset({ title: "Image", assetTypes: ["image"] }),
  },
  body: ({ title, price }: { title: string; price: number }) =>
    VStack({ spacing: 8 }, [Text(title), Text(String(price))]),
});
"""

ARTICLE_LAYOUT = """\
export default defineComponent({
  metadata: { title: "Article layout", description: "A header, a body column and a footer." },
  properties: {
    header: PropertyComponent({ title: "Header", allowedComponents: ["Hero"] }),
    body: PropertyArray({ title: "Body", valueType: PropertyComponent({ allowedComponents: ["ProductCard"] }) }),
  },
  body: (props: { header: unknown; body: unknown[] }, children: unknown[]) => VStack({ spacing: 24 }, children),
});
"""

LEGACY_BANNER = """\
export default defineComponent({
  metadata: { title: "Banner" },
  properties: { text: PropertyString({ title: "Text" }) },
  body: ({ text }: { text: string }) => Text(text),
});
"""

HERO = """\
export default defineComponent({
  metadata: { title: "Hero", description: "A full-width image with a headline." },
  properties: {
    image: PropertyAsset({ title: "Image", description: "The picture behind the headline", assetTypes: ["image"] }),
    headline: PropertyString({ title: "Headline", required: true, inspector: { placeholder: "Say it big" } }),
    tone: PropertyEnum({ title: "Tone", options: ["light", "dark"], defaultValue: "light" }),
  },
  body: ({ headline }: { headline: string }) => ZStack([Text(headline)]),
});
"""


@transaction.atomic
def load_component_demo(*, organization: Organization, author) -> list[Project]:
    """acme/design (published 1.0.0) and acme/storefront, which depends on design@1.0.0 and ends with one
    component in each status: published, modified, draft and deleted. Safe to run again."""
    design, _ = Project.objects.get_or_create(
        organization=organization, name="design", defaults={"description": "Shared UI components"}
    )
    storefront, _ = Project.objects.get_or_create(
        organization=organization, name="storefront", defaults={"description": "Shop pages"}
    )
    if not Component.objects.filter(project=design).exists():
        services.create_component(project=design, name="Button", type="view", content=BUTTON, author=author)
        services.publish_package(project=design, version="1.0.0", description="First design system", author=author)
    if not Component.objects.filter(project=storefront).exists():
        services.add_project_dependency(project=storefront, depends_on=design, version="1.0.0")
        services.create_component(
            project=storefront, name="ProductCard", type="view", content=PRODUCT_CARD, author=author
        )
        layout = services.create_component(
            project=storefront, name="ArticleLayout", type="layout", content=ARTICLE_LAYOUT, author=author
        )
        legacy = services.create_component(
            project=storefront, name="LegacyBanner", type="view", content=LEGACY_BANNER, author=author
        )
        services.publish_package(
            project=storefront, version="1.0.0", description="Initial release", tags=["ui"], author=author
        )
        services.update_component(
            component=layout, content=ARTICLE_LAYOUT.replace("spacing: 24", "spacing: 16"), author=author
        )  # -> modified
        services.set_component_status(component=legacy, status="deleted")
        services.create_component(project=storefront, name="Hero", type="view", content=HERO, author=author)  # draft
    return [design, storefront]
