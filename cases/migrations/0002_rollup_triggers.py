from django.db import migrations

from cases.rollup_sql import INSTALL, UNINSTALL


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunSQL(INSTALL, UNINSTALL)]
