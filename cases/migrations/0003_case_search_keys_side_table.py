import django.db.models.deletion
from django.db import migrations, models

from cases.sql.search import BACKFILL, INSTALL, UNINSTALL


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_sync_backend_and_credentials"),
        ("cases", "0002_rollup_triggers"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseSearchKey",
            fields=[
                ("pk", models.CompositePrimaryKey("tenant", "key", "case", blank=True, editable=False,
                                                  primary_key=True, serialize=False)),
                ("tenant", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                             related_name="+", to="accounts.tenant")),
                ("case", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                           related_name="+", to="cases.case")),
                ("key", models.CharField(max_length=64)),
            ],
            options={"indexes": [models.Index(fields=["case"], name="case_search_key_case")]},
        ),
        # Triggers first: creating them locks cases_case against writes, so the backfill misses none.
        migrations.RunSQL(INSTALL, UNINSTALL),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.RemoveIndex(model_name="case", name="case_search_keys"),
        migrations.RemoveField(model_name="case", name="search_keys"),
    ]
