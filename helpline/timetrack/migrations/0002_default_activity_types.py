from django.db import migrations

DEFAULTS = ["Troubleshooting", "Customer contact", "Remote session", "On site", "Research", "Documentation"]


def seed(apps, schema_editor):
    ActivityType = apps.get_model("timetrack", "ActivityType")
    for order, name in enumerate(DEFAULTS):
        ActivityType.objects.get_or_create(name=name, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("timetrack", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
