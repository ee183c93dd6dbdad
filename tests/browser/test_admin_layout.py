"""The staff console fits the screen: at 1366x768 and 1920x1080 no page overflows sideways, no box overlaps
another, every table fits its column (or scrolls inside its own box), and source keeps its indentation.

The geometry is read from Chromium's layout (getBoundingClientRect, scrollWidth), on a registry shaped like
the demo: long names and e-mail addresses, a failed version with a long error, grants, tokens, a component
with indented source and a modified draft.
"""

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from components_app.services import create_component, publish_package, update_component
from packages_app.indexing import index_version
from packages_app.models import IndexStatus, Version
from registry.models import OrganizationGroup
from registry.services import issue_group_token, issue_user_token
from tests.admin.publishing import publish_locked
from tests.browser.conftest import ARTIFACTS
from tests.factories import GrantFactory, GroupFactory, OrganizationFactory, ProjectFactory, UserFactory, grant_on

pytestmark = pytest.mark.django_db(transaction=True)

REPORT_SOURCE = """export default defineComponent({
  metadata: { title: "Revenue report" },
  properties: { currency: PropertyString({ title: "Currency", defaultValue: "EUR" }) },
  body: ({ rows, currency }: { rows: unknown[]; currency: string }) => {
    if (!rows.length) {
      return Text("No revenue recorded for this period");
    }
    return Table(rows, { columns: ["region", "country", "quarter", "product line", "units", "gross revenue", "net revenue", "margin"], currency, sortBy: "net revenue", descending: true });
  },
});
"""

# Everything a page's layout must satisfy, as problems found (an empty list: the page fits).
GEOMETRY = """() => {
  const problems = [];
  const rect = (el) => el.getBoundingClientRect();
  const shown = (el) => el && rect(el).width > 0 && rect(el).height > 0;
  const overlap = (a, b) => !(a.right <= b.left + 0.5 || b.right <= a.left + 0.5
                              || a.bottom <= b.top + 0.5 || b.bottom <= a.top + 0.5);
  const name = (el) => el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;

  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) {
    problems.push(`the page is ${doc.scrollWidth}px wide in a ${window.innerWidth}px window`);
  }

  // Main content and each sidebar beside it never share pixels.
  const pairs = [["#content-main", "#content-related"],
                 ["#changelist .changelist-form-container", "#changelist-filter"],
                 ["#content", "#nav-sidebar"]];
  for (const [mainSel, sideSel] of pairs) {
    const main = document.querySelector(mainSel), side = document.querySelector(sideSel);
    if (shown(main) && shown(side) && overlap(rect(main), rect(side))) {
      problems.push(`${mainSel} overlaps ${sideSel}`);
    }
  }

  // Every table fits the column it sits in; one wider than its box must scroll inside that box.
  let tables = 0;
  for (const table of document.querySelectorAll("#content table")) {
    if (!shown(table)) continue;
    tables += 1;
    const column = table.closest(".changelist-form-container") || table.closest("#content-main")
                   || document.querySelector("#content");
    let box = table.parentElement;
    while (box && box !== column && !["auto", "scroll"].includes(getComputedStyle(box).overflowX)) {
      box = box.parentElement;
    }
    const scrolls = box && box !== column;
    const edge = rect(column).right + 1;
    if (scrolls) {
      if (rect(box).right > edge) problems.push(`the scrolling box of ${name(table)} runs past its column`);
      if (box.scrollWidth > box.clientWidth + 1) {
        problems.push(`${name(table)} needs a sideways scroll: ${box.scrollWidth}px in ${box.clientWidth}px`);
      }
    } else if (rect(table).right > edge) {
      problems.push(`${name(table)} runs ${Math.round(rect(table).right - edge)}px past its column`);
    }
  }

  // Source blocks stay inside their column; a long line scrolls inside the block.
  for (const pre of document.querySelectorAll("#content pre")) {
    const column = pre.closest("#content-main") || document.querySelector("#content");
    if (rect(pre).right > rect(column).right + 1) problems.push(`${name(pre)} runs past its column`);
    if (pre.scrollWidth > pre.clientWidth && !["auto", "scroll"].includes(getComputedStyle(pre).overflowX)) {
      problems.push(`${name(pre)} is clipped instead of scrolling`);
    }
  }
  return {problems, tables};
}"""


@pytest.fixture
def console_registry(staff):
    """A registry shaped like the demo, with the long names real ones have, built through the services."""
    acme = OrganizationFactory(name="acme", display_name="Acme Corporation")
    finance = ProjectFactory(organization=acme, name="finance")
    logistics = ProjectFactory(
        organization=OrganizationFactory(name="globex-international"), name="operations-and-logistics"
    )

    def publish(project, name, version, dependencies=None):
        published = publish_locked(project=project, user=staff, name=name, version=version, dependencies=dependencies)
        index_version(version_id=published.pk)  # what the publish task does after commit
        return published

    publish(finance, "core", "1.2.0")
    publish(finance, "core", "2.0.0")
    ui = publish(finance, "ui", "1.0.0", {"core": "^1.0.0"})
    publish(finance, "data", "2.0.0", {"core": "~1.2.0"})
    app = publish(finance, "app", "1.0.0", {"ui": "^1.0.0", "data": ">=2.0.0 <3.0.0"})
    forecast = publish(finance, "quarterly-revenue-forecasting-models", "3.14.159", {"core": ">=1.0.0 <3.0.0"})
    publish(logistics, "warehouse-inventory-snapshots", "12.0.0")
    Version.objects.filter(pk=ui.pk).update(
        index_status=IndexStatus.FAILED,
        index_error=(
            "archive entry models/regional/emea/north/warehouse_inventory_quarterly_breakdown_by_product_line.malloy "
            "expands past the uncompressed size cap (64 MiB, ratio 812:1)"
        ),
        tags=["finance", "ui"],
    )
    forecast.package.tags = ["finance", "forecasting", "quarterly"]
    forecast.package.save()

    ada = UserFactory(username="ada.lovelace", email="ada.lovelace@analytics.acme-corporation.example.com")
    analysts = GroupFactory(name="acme-data-analysts")
    OrganizationGroup.objects.create(organization=acme, group=analysts)
    GrantFactory(organization=acme, group=analysts, role="member")
    GrantFactory(project=finance, user=ada, role="modeler")
    grant_on(forecast.package, "viewer", user=UserFactory(username="grace"))
    issue_user_token(user=ada, name="continuous-integration-publisher")
    issue_user_token(user=ada, name="dashboard-reader", read_only=True, expires_at=timezone.now() + timedelta(days=90))
    issue_group_token(organization=acme, group_name=analysts.name, name="nightly-pipeline", issuer=staff)

    report = create_component(project=finance, name="RevenueReport", type="view", content=REPORT_SOURCE, author=staff)
    publish_package(project=finance, version="4.0.0", author=staff)
    report.refresh_from_db()
    update_component(component=report, content=REPORT_SOURCE.replace('"margin"', '"margin", "growth"'), author=staff)

    return {"app": app, "forecast": forecast, "report": report}


def console_pages(registry) -> dict[str, str]:
    """Every page of the console the issue names: dashboard, each model's list, and the detail pages."""
    app, forecast, report = registry["app"], registry["forecast"], registry["report"]
    pages = {"dashboard": reverse("admin:index")}
    registered = [model for model in apps.get_models() if admin.site.is_registered(model)]
    for model in registered:
        opts = model._meta
        pages[f"{opts.model_name} list"] = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    pages.update(
        {
            "package": reverse("admin:packages_app_package_change", args=[forecast.package_id]),
            "version": reverse("admin:packages_app_version_change", args=[app.pk]),
            "graph": reverse("admin:packages_app_version_graph", args=[app.pk]),
            "dependents": reverse("admin:packages_app_version_dependents", args=[forecast.pk]),
            "package check": reverse("admin:packages_app_package_check", args=[forecast.package_id]),
            "component": reverse("admin:components_app_component_change", args=[report.pk]),
            "component diff": reverse("admin:components_app_component_diff", args=[report.pk]),
            "add grant": reverse("admin:registry_grant_add"),
            "add API token": reverse("admin:registry_apitoken_add"),
        }
    )
    return pages


SCREENSHOTS = {"dashboard", "version list", "grant list", "package", "version", "graph", "component", "component diff"}


def test_no_console_page_overflows_or_overlaps_at_laptop_and_desktop_sizes(
    console_registry, logged_in_at_each_size, live_server
):
    page = logged_in_at_each_size
    size = f"{page.viewport_size['width']}x{page.viewport_size['height']}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems, tables = {}, {}

    for title, path in console_pages(console_registry).items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, title
        found = page.evaluate(GEOMETRY)
        tables[title] = found["tables"]
        if found["problems"]:
            problems[title] = found["problems"]
        if title in SCREENSHOTS:
            page.screenshot(path=str(ARTIFACTS / f"layout-{size}-{title.replace(' ', '-')}.png"), full_page=True)

    assert problems == {}
    # The checks had tables to measure where the issue saw them clipped.
    for title in ("dashboard", "version list", "grant list", "package", "version", "component", "component diff"):
        assert tables[title] > 0, title


def test_component_source_keeps_its_indentation_in_a_monospace_block_that_scrolls_itself(
    console_registry, logged_in_at_each_size, live_server
):
    page = logged_in_at_each_size
    report = console_registry["report"]
    page.goto(f"{live_server.url}{reverse('admin:components_app_component_change', args=[report.pk])}")

    source = page.locator(".field-content_source pre.source-block")
    lines = source.inner_text().splitlines()
    style = source.evaluate(
        "el => { const s = getComputedStyle(el); return {whiteSpace: s.whiteSpace, font: s.fontFamily,"
        " overflowX: s.overflowX, wider: el.scrollWidth > el.clientWidth}; }"
    )

    assert lines == REPORT_SOURCE.replace('"margin"', '"margin", "growth"').splitlines()
    assert lines[5] == '      return Text("No revenue recorded for this period");'  # six spaces kept
    assert style["whiteSpace"] == "pre"
    assert "monospace" in style["font"]
    # The long line does not wrap or widen the page: the block scrolls sideways by itself.
    assert (style["overflowX"], style["wider"]) == ("auto", True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_component_diff_wraps_long_lines_inside_its_half_and_keeps_indentation(
    console_registry, logged_in_at_each_size, live_server
):
    page = logged_in_at_each_size
    report = console_registry["report"]
    page.goto(f"{live_server.url}{reverse('admin:components_app_component_diff', args=[report.pk])}")

    changed = page.locator("#diff-table td.code.diff_chg")
    halves = page.eval_on_selector_all(
        "#diff-table tbody tr:first-child td.code", "els => els.map(e => e.getBoundingClientRect().width)"
    )
    indented = page.locator("#diff-table td.code", has_text="return Text(").first

    assert changed.count() == 2  # the columns line, before and after
    assert "growth" in changed.nth(1).inner_text()
    assert abs(halves[0] - halves[1]) < 2  # the two sides share the width
    assert indented.inner_text().startswith("      return Text(")
    assert indented.evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
