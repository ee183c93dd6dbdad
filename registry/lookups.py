"""Lookups the registry's queries rely on for speed.

``field__in_array=[...]``: membership in a large list as one bound array on PostgreSQL. ``__in`` binds
one parameter per element, and Django prepares each one in Python; for the thousands of ids a resolver
layer asks for, that preparation costs more than the query. PostgreSQL takes the whole list as a single
array parameter (``= ANY(%s)``); other databases get a plain ``IN (...)``.

``name__lower=value.lower()``: case-insensitive name lookups as ``LOWER(name) = %s``, which the
``Lower("name")`` unique indexes on organizations, projects, packages and components serve. Django's
``iexact`` compiles to ``UPPER(name)`` on PostgreSQL, which no index serves: every lookup by name was a
sequential scan.
"""

from django.db.models import CharField, Field, Lookup
from django.db.models.functions import Lower

CharField.register_lookup(Lower)


@Field.register_lookup
class InArray(Lookup):
    lookup_name = "in_array"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]
