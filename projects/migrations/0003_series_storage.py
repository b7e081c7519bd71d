from django.db import migrations

COLUMNS = ("steps", "values", "wall_times", "lower", "upper")


def store_uncompressed(apps, schema_editor):
    # Float arrays barely compress, but PostgreSQL's default pglz still tries on every value over
    # 2 KB: for a million points that cost more than parsing the file. EXTERNAL keeps them
    # out of line and uncompressed.
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name("projects_metricseries")
    for column in COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE {table} ALTER COLUMN {schema_editor.quote_name(column)} SET STORAGE EXTERNAL"
        )


class Migration(migrations.Migration):
    dependencies = [("projects", "0002_experiment_imports")]

    operations = [migrations.RunPython(store_uncompressed, migrations.RunPython.noop)]
