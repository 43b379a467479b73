"""The round-setup version and the triggers that renew it (see ``wuyi.testing.round_setup``).

The version is a new random 63-bit number at each change, not a counter: a counter would
start again if its row were lost (a flush empties every table) or a change rolled back,
and a process could take a new setup for the one it keeps. A time would repeat within
SQLite's millisecond. Processes only compare it for equality.
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

SQLITE_RANDOM = "abs(random() / 2)"
POSTGRES_RANDOM = "(random() * 9.2e18)::bigint"
SQLITE_BUMP = (
    f"INSERT INTO testing_setupversion (id, version) VALUES (1, {SQLITE_RANDOM}) "
    "ON CONFLICT (id) DO UPDATE SET version = excluded.version;"
)
POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION testing_renew_setup_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO testing_setupversion (id, version) VALUES (1, {POSTGRES_RANDOM})
    ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
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
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION testing_renew_setup_version()"
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
    first = SQLITE_RANDOM if vendor == "sqlite" else POSTGRES_RANDOM
    schema_editor.execute(f"INSERT INTO testing_setupversion (id, version) VALUES (1, {first})")


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in WATCHED:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_setup ON {table}")
        elif vendor == "sqlite":
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_setup_{event}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS testing_renew_setup_version()")


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
