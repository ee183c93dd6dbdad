"""Database statements the ORM cannot spell in one round trip."""

from django.db import connections, router


def insert_unless_conflict(instance) -> bool:
    """INSERT the unsaved ``instance`` unless that would break a unique constraint; True when it was inserted.

    ``INSERT ... ON CONFLICT DO NOTHING RETURNING pk`` (PostgreSQL, and SQLite 3.35 on). The ORM's way,
    a ``create()`` in a savepoint whose IntegrityError is caught, costs three round trips and leaves the
    question of *which* constraint failed to a string match; this costs one, and any other error (a check
    constraint, a foreign key) still raises. On insert the instance gets its primary key, like ``save()``.
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
    values = [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT DO NOTHING RETURNING {quote(pk_field.column)}"
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
