"""Database statements the ORM cannot spell in one round trip."""

from django.db import connections, router


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


def lock_keys(model, pk) -> bool:
    """Hold ``FOR KEY SHARE`` on one row until the transaction ends; False when the row is gone.

    The weakest row lock: it lets others update the row's other columns (and take it too) but makes a
    DELETE wait, which is what a row that new rows will reference needs. PostgreSQL takes this lock
    anyway when the deferred foreign-key checks run at commit; taking it first keeps the documented lock
    order (docs/development.md, "Lock order") instead of reaching for the parent last. The ORM spells only
    ``FOR UPDATE`` and ``FOR NO KEY UPDATE``. Other databases: an existence check (SQLite locks the whole
    database on write anyway).
    """
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return model._base_manager.filter(pk=pk).exists()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s FOR KEY SHARE", [pk])
        return cursor.fetchone() is not None


def lock_keys_in_order(model, pks) -> set:
    """:func:`lock_keys` on many rows in one round trip, taken in primary-key order; the keys still there.

    Rows of one level are locked in id order, as every write that locks several locks them, so two
    writes never hold each other's rows (docs/development.md, "Lock order"). Other databases: an
    existence check.
    """
    pks = sorted(set(pks))
    if not pks:
        return set()
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return set(model._base_manager.filter(pk__in=pks).values_list("pk", flat=True))
    quote = connection.ops.quote_name
    pk_column = quote(meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk_column} FROM {quote(meta.db_table)} WHERE {pk_column} = ANY(%s) ORDER BY {pk_column} "
            "FOR KEY SHARE",
            [pks],
        )
        return {row[0] for row in cursor.fetchall()}
