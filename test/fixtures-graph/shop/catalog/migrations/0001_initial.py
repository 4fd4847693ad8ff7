from django.db import migrations

import catalog.search  # noqa: F401  (migrations run with migrate only)


class Migration(migrations.Migration):
    dependencies = []
    operations = []
