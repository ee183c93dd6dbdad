"""Demo component projects for ``manage.py load_demo``: every component status, published through the services."""

from django.db import transaction

from components_app import services
from components_app.models import Component
from registry.models import Organization, Project

BUTTON = """\
// @title Button
// @description A clickable call to action.
// @prop label: string - What the button says
// @prop disabled?: boolean = false
export default function Button({ label, disabled }) {
  return button(text(label), { disabled });
}
"""

PRODUCT_CARD = """\
// @title Product card
// @description Shows a product with its price.
// @prop title: string - The product name
// @prop price: number = 0 - Price in cents
export default function ProductCard({ title, price }) {
  return view([text(title), text(price), Button({ label: "Buy" })]);
}
"""

ARTICLE_LAYOUT = """\
// @title Article layout
// @description A header, a body column and a footer.
export default function ArticleLayout({ header, body, footer }) {
  return stack([header, column(body), footer]);
}
"""

HERO = """\
// @title Hero
// @description A full-width image with a headline.
// @prop image: string - Image URL
// @prop headline: string
export default function Hero({ image, headline }) {
  return overlay(image(image), text(headline));
}
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
            project=storefront, name="LegacyBanner", type="view", content="banner()", author=author
        )
        services.publish_package(
            project=storefront, version="1.0.0", description="Initial release", tags=["ui"], author=author
        )
        services.update_component(
            component=layout, content=ARTICLE_LAYOUT.replace("column(body)", "column(body, { gap: 16 })"), author=author
        )  # -> modified
        services.set_component_status(component=legacy, status="deleted")
        services.create_component(project=storefront, name="Hero", type="view", content=HERO, author=author)  # draft
    return [design, storefront]
