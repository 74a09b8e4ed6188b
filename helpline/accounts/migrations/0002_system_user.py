from django.db import migrations

SYSTEM_EMAIL = "system@helpline.invalid"


def create(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.get_or_create(
        email=SYSTEM_EMAIL,
        defaults={"name": "Helpline", "role": "admin", "is_active": True, "password": "!"},
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
