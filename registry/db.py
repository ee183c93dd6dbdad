"""Database statements the ORM cannot spell in one round trip, or compiles at too high a price."""

import inspect
import threading

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.transaction import TransactionManagementError


def insert_unless_conflict(instance, *, unique_fields: list[str]) -> bool:
    """INSERT the unsaved ``instance`` unless a row with the same ``unique_fields`` exists; True when inserted.

    ``INSERT ... ON CONFLICT (unique_fields) DO NOTHING RETURNING pk`` (PostgreSQL, and SQLite 3.35 on);
    ``unique_fields`` must be those of a unique constraint without a condition or expressions. The ORM's
    way, a ``create()`` in a savepoint whose IntegrityError is caught, costs three round trips and leaves
    the question of *which* constraint failed to a string match; this costs one, and any other error (a
    check constraint, a foreign key, another unique constraint) still raises. On insert the instance gets
    its primary key, like ``save()``. Plain models only: no generated fields, no ``db_default``.
    """
    meta = instance._meta
    using = router.db_for_write(type(instance), instance=instance)
    connection = connections[using]
    pk_field = meta.pk
    fields = [
        field for field in meta.concrete_fields if not (field is pk_field and getattr(instance, field.attname) is None)
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    target = ", ".join(quote(meta.get_field(name).column) for name in unique_fields)
    values = [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({target}) DO NOTHING RETURNING {quote(pk_field.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    setattr(instance, pk_field.attname, pk_field.to_python(row[0]))
    instance._state.adding = False
    instance._state.db = using
    return True


class CompiledQuery:
    """A read of fixed shape, compiled by the ORM once per thread, then run with new values.

    Django compiles every queryset anew. For the lookups a publish makes on every request (lock the
    package and read its latest version) compiling took longer than the database took to answer: about
    1 ms of a 7 ms publish. ``build`` takes keyword arguments (annotated ``int`` or ``str``) and returns
    a ``values_list()`` queryset; it is called once with placeholder values, and :meth:`rows` runs the
    SQL Django generated for it with the real values in their places, converting the results as the
    ORM would. So the statement is exactly the ORM's, and a model change changes it with the model.

    Only plain comparisons may use the arguments: a value the ORM writes into the SQL itself, turns into
    several parameters or changes on the way (``iexact`` escapes ``%`` and ``_`` for ``LIKE`` on some
    backends) cannot be substituted, and compiling refuses such a ``build``. A ``select_for_update()``
    build must run inside a transaction, as the ORM requires.
    """

    _PLACEHOLDER_BASE = -987_654_000  # far from any real id, inside every backend's integer range

    def __init__(self, build):
        self.build = build
        parameters = inspect.signature(build, eval_str=True).parameters  # "int" under future annotations too
        self.arguments = {name: parameter.annotation for name, parameter in parameters.items()}
        self._here = threading.local()  # compilers hold their thread's connection

    def rows(self, *, using: str = DEFAULT_DB_ALIAS, **values) -> list[tuple]:
        connection = connections[using]
        compiled = getattr(self._here, "compiled", None)
        if compiled is None or compiled[0] is not connection:
            compiled = self._here.compiled = (connection, *self._compile(connection))
        _, compiler, sql, slots = compiled
        if (
            compiler.query.select_for_update
            and connection.features.has_select_for_update
            and connection.get_autocommit()
        ):
            # What the ORM checks while compiling, which happens here only once per thread.
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = [values[slot.name] if isinstance(slot, _Slot) else slot for slot in slots]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        return list(compiler.results_iter(results=[fetched], tuple_expected=True))

    def _compile(self, connection):
        placeholders = {}
        for index, (name, kind) in enumerate(self.arguments.items()):
            if kind is int:
                placeholders[name] = self._PLACEHOLDER_BASE - index
            elif kind is str:
                # Mixed case and LIKE's special characters: a value the ORM changes is then not found.
                placeholders[name] = f"Compiled%_Query\\Placeholder{index}"
            else:
                raise TypeError(f"{self.build.__name__}: argument {name} must be annotated int or str")
        queryset = self.build(**placeholders)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        by_value = {value: _Slot(name) for name, value in placeholders.items()}
        slots = [by_value.get(param, param) if isinstance(param, int | str) else param for param in params]
        used = [slot.name for slot in slots if isinstance(slot, _Slot)]
        if sorted(used) != sorted(placeholders):
            raise ValueError(f"{self.build.__name__}: each argument must be exactly one parameter of the SQL")
        return compiler, sql, slots


class _Slot:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name
