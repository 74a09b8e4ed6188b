import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import helpline.core.clock


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedView",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("shared", models.BooleanField(default=False)),
                ("query", models.CharField(blank=True, max_length=1000)),
                ("filters", models.JSONField(blank=True, default=dict)),
                ("sort", models.CharField(default="created", max_length=20)),
                ("columns", models.JSONField(blank=True, default=list)),
                ("created_at", models.DateTimeField(default=helpline.core.clock.now)),
                ("updated_at", models.DateTimeField(default=helpline.core.clock.now)),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_views",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["name", "id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("shared", True)),
                        fields=["name", "id"],
                        name="saved_view_shared",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("owner", "name"), name="saved_view_owner_name")
                ],
            },
        ),
    ]
