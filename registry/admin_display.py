"""How the staff console shows read-only values: source and JSON in a monospace block, tags as a list."""

import json

from django.utils.html import format_html, format_html_join

EMPTY = "—"


def source_block(text: str | None, *, language: str = ""):
    """Source text in a <pre> that keeps every space and scrolls sideways inside its own box (admin.css)."""
    if not text:
        return EMPTY
    return format_html('<pre class="source-block" data-language="{}">{}</pre>', language, text)


def json_block(value):
    """A JSON value, indented, in the same block as source text."""
    if value in (None, {}, []):
        return EMPTY
    return source_block(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False), language="json")


def tag_list(tags):
    """Tags as a row of chips rather than the JSON list the model stores."""
    if not tags:
        return EMPTY
    return format_html('<ul class="tag-list">{}</ul>', format_html_join("", "<li>{}</li>", ((tag,) for tag in tags)))
