"""The round-setup version and the triggers that raise it (see ``wuyi.testing.round_setup``).

The version is a time in microseconds, raised by at least one per change: if its row is
lost (a flush empties every table) and made again, the number still only goes up, so no
process can take a new setup for the one it keeps.
"""

from django.db import migrations, models

# table → the columns whose change matters to a scan (None: any change).
WATCHED = {
    "testing_testinground": None,
    "testing_roundzone": None,
    "testing_samplingsite": None,
    "testing_roundsite": None,
    "testing_desk": None,
    # Not last_used_at: it is written while devices post, at most once a minute per token.
    "testing_devicetoken": "id, token_hash, site_id, lab_id, revoked_at",
}

SQLITE_NOW_US = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"
SQLITE_BUMP = (
    f"INSERT INTO testing_setupversion (id, version) VALUES (1, {SQLITE_NOW_US}) "
    "ON CONFLICT (id) DO UPDATE SET version = max(version + 1, excluded.version);"
)
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION testing_raise_setup_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO testing_setupversion (id, version)
    VALUES (1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
    ON CONFLICT (id) DO UPDATE
    SET version = GREATEST(testing_setupversion.version + 1, EXCLUDED.version);
    RETURN NULL;
END $$;
"""


def _statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        statements = [POSTGRES_FUNCTION]
        for table, columns in WATCHED.items():
            update = f"UPDATE OF {columns}" if columns else "UPDATE"
            statements.append(
                f"CREATE TRIGGER {table}_setup AFTER INSERT OR {update} OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION testing_raise_setup_version()"
            )
        return statements
    statements = []
    for table, columns in WATCHED.items():
        for event in ("INSERT", "UPDATE", "DELETE"):
            on = f"UPDATE OF {columns}" if event == "UPDATE" and columns else event
            statements.append(
                f"CREATE TRIGGER {table}_setup_{event.lower()} AFTER {on} ON {table} "
                f"BEGIN {SQLITE_BUMP} END"
            )
    return statements


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return  # no triggers: round_setup reads the setup on every request there
    for statement in _statements(vendor):
        schema_editor.execute(statement)
    # The first number, so processes can keep the setup from the start.
    now = SQLITE_NOW_US if vendor == "sqlite" else "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
    schema_editor.execute(f"INSERT INTO testing_setupversion (id, version) VALUES (1, {now})")


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in WATCHED:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_setup ON {table}")
        elif vendor == "sqlite":
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_setup_{event}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS testing_raise_setup_version()")


class Migration(migrations.Migration):
    dependencies = [
        ("testing", "0005_sampled_fewer_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SetupVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField(verbose_name="版本")),
            ],
            options={"verbose_name": "轮次设置版本", "verbose_name_plural": "轮次设置版本"},
        ),
        migrations.RunPython(create, drop),
    ]
