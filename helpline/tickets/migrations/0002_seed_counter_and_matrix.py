from django.db import migrations

from helpline.tickets.priority import DEFAULT_MATRIX


def seed(apps, schema_editor):
    Counter = apps.get_model("tickets", "Counter")
    Counter.objects.get_or_create(name="ticket", defaults={"value": 999})
    Entry = apps.get_model("tickets", "PriorityMatrixEntry")
    for (impact, urgency), priority in DEFAULT_MATRIX.items():
        Entry.objects.get_or_create(
            impact=impact.value, urgency=urgency.value, defaults={"priority": priority.value}
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
