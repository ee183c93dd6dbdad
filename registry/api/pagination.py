"""Pagination for the two surfaces.

v0 answers a plain JSON array (as Credible's list endpoints do) with the total in ``X-Total-Count`` and
RFC 8288 ``Link`` headers; v1 answers Metabind's ``{"data": [...], "pagination": {...}}`` envelope.
Both take ``?page`` (from 1) and ``?limit`` (at most 100).
"""

import math

from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class RegistryPagination(PageNumberPagination):
    page_query_param = "page"
    page_size_query_param = "limit"
    page_size = 20
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            from registry.errors import validation_failed

            raise validation_failed("limit", "must be a whole number from 1 to 100")
        return min(value, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        # The bounds get_page_size and paginate_queryset enforce, stated in the schema.
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page, 1 to {self.max_page_size} (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def paginate_queryset(self, queryset, request, view=None):
        from registry.errors import not_found, validation_failed

        raw = request.query_params.get(self.page_query_param)
        if raw is not None and (not raw.isdigit() or int(raw) < 1):
            # Malformed, like a bad limit: 400 naming the parameter (a page past the end is a 404).
            raise validation_failed("page", "must be a whole number from 1")
        try:
            return super().paginate_queryset(queryset, request, view)
        except (NotFound, InvalidPage):
            raise not_found("page", raw or "1") from None


class V0Pagination(RegistryPagination):
    def get_paginated_response(self, data):
        headers = {"X-Total-Count": str(self.page.paginator.count)}
        links = []
        if self.page.has_next():
            links.append(f'<{self.get_next_link()}>; rel="next"')
        if self.page.has_previous():
            links.append(f'<{self.get_previous_link()}>; rel="prev"')
        if links:
            headers["Link"] = ", ".join(links)
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema):
        return schema


class V1Pagination(RegistryPagination):
    def get_paginated_response(self, data):
        total = self.page.paginator.count
        limit = self.page.paginator.per_page
        return Response(
            {
                "data": data,
                "pagination": {
                    "page": self.page.number,
                    "limit": limit,
                    "total": total,
                    "pages": math.ceil(total / limit) if total else 0,
                },
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["data", "pagination"],
            "properties": {
                "data": schema,
                "pagination": {
                    "type": "object",
                    "properties": {
                        "page": {"type": "integer"},
                        "limit": {"type": "integer"},
                        "total": {"type": "integer"},
                        "pages": {"type": "integer"},
                    },
                },
            },
        }
