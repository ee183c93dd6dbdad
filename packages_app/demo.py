"""Builders for small, real Malloy package archives (used by the demo data command, tests and benchmarks)."""

import io
import json
import zipfile

DEFAULT_MODEL = """\
// {name}: a demo Malloy model
#(doc) Orders placed in the {name} store
source: orders is duckdb.table('data/orders.csv') extend {{
  primary_key: id
  dimension: order_month is created_at.month
  measure:
    order_count is count()
    revenue is sum(amount)
  #(doc) Revenue by month
  view: by_month is {{ group_by: order_month; aggregate: revenue }}
}}

query: top_months is orders -> by_month
"""


def build_malloy_archive(
    name: str,
    version: str,
    *,
    description: str = "",
    dependencies: dict[str, str] | None = None,
    extra_files: dict[str, bytes | str] | None = None,
) -> bytes:
    """A zip with ``publisher.json`` at its root, a model and a small CSV. Same inputs, same bytes."""
    manifest = {"name": name, "version": version, "description": description or f"The {name} package"}
    if dependencies:
        manifest["dependencies"] = dependencies
    files: dict[str, bytes | str] = {
        "publisher.json": json.dumps(manifest, indent=2, sort_keys=True),
        f"{name}.malloy": DEFAULT_MODEL.format(name=name),
        "data/orders.csv": "id,created_at,amount\n1,2024-01-03,10.5\n2,2024-02-11,20.0\n",
    }
    files.update(extra_files or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            data = files[path]
            info = zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0))  # fixed time: reproducible bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data.encode() if isinstance(data, str) else data)
    return buffer.getvalue()
