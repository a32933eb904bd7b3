from django.db import migrations

from cases.sql.rollups import INSTALL, UNINSTALL


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunSQL(INSTALL, UNINSTALL)]
