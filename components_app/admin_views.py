"""The staff console's component pages: a side-by-side diff of a component's content."""

import difflib
from dataclasses import dataclass

from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from components_app.models import Component
from packages_app.admin_views import admin_page_context, require_view

DRAFT = "draft"


@dataclass(frozen=True)
class DiffSide:
    number: int | None
    html: str  # escaped text, changed characters wrapped in <span class="diff_chg">
    mark: str  # "", "diff_sub", "diff_add" or "diff_chg": the class of the whole cell


@dataclass(frozen=True)
class DiffRow:
    left: DiffSide
    right: DiffSide


NO_LINE = DiffSide(number=None, html="", mark="")


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` escaped, with each (start, end) span wrapped as a changed stretch."""
    out, at = [], 0
    for start, end in spans:
        out.append(escape(text[at:start]))
        out.append(f'<span class="diff_chg">{escape(text[start:end])}</span>')
        at = end
    out.append(escape(text[at:]))
    return mark_safe("".join(out))  # every piece escaped above


def side_by_side(before: list[str], after: list[str]) -> list[DiffRow]:
    """Rows of a two-column diff: equal lines side by side, removed lines on the left, added on the right,
    and replaced lines paired with the characters that changed marked (difflib's SequenceMatcher)."""
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag == "equal":
            rows.extend(
                DiffRow(DiffSide(i + 1, escape(before[i]), ""), DiffSide(j + 1, escape(after[j]), ""))
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        left, right = list(range(i1, i2)), list(range(j1, j2))
        for k in range(max(len(left), len(right))):
            i = left[k] if k < len(left) else None
            j = right[k] if k < len(right) else None
            if i is not None and j is not None:
                chars = difflib.SequenceMatcher(None, before[i], after[j], autojunk=False).get_opcodes()
                rows.append(
                    DiffRow(
                        DiffSide(
                            i + 1,
                            _marked(before[i], [(a1, a2) for t, a1, a2, _, _ in chars if t != "equal" and a2 > a1]),
                            "diff_chg",
                        ),
                        DiffSide(
                            j + 1,
                            _marked(after[j], [(b1, b2) for t, _, _, b1, b2 in chars if t != "equal" and b2 > b1]),
                            "diff_chg",
                        ),
                    )
                )
            elif i is not None:
                rows.append(DiffRow(DiffSide(i + 1, escape(before[i]), "diff_sub"), NO_LINE))
            else:
                rows.append(DiffRow(NO_LINE, DiffSide(j + 1, escape(after[j]), "diff_add")))
    return rows


def component_diff_view(model_admin, request, object_id):
    """A side-by-side diff of a component's content between two of its versions or the current draft."""
    component = get_object_or_404(Component.objects.select_related("project__organization"), pk=object_id)
    require_view(model_admin, request, component)
    versions = {str(v.version): v for v in component.versions.order_by("version")}
    choices = [*versions, DRAFT]
    default_from = list(versions)[-1] if versions else DRAFT
    left = request.GET.get("from") if request.GET.get("from") in choices else default_from
    right = request.GET.get("to") if request.GET.get("to") in choices else DRAFT

    def content_of(choice: str) -> str:
        return component.content if choice == DRAFT else versions[choice].content

    def label_of(choice: str) -> str:
        return f"draft ({component.status})" if choice == DRAFT else f"version {choice}"

    before, after = content_of(left).splitlines(), content_of(right).splitlines()
    return TemplateResponse(
        request,
        "admin/components_app/component/diff.html",
        admin_page_context(
            model_admin,
            request,
            obj=component,
            title=f"Diff of {component.name}: {label_of(left)} → {label_of(right)}",
            choices=[(choice, label_of(choice)) for choice in choices],
            left=left,
            right=right,
            left_label=label_of(left),
            right_label=label_of(right),
            rows=side_by_side(before, after),
            identical=before == after,
            changed_lines=sum(1 for line in difflib.ndiff(before, after) if line[:1] in "+-"),
        ),
    )
