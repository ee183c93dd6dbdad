# Takes ProjectDependency over from registry (registry 0004 renamed its table to this app's name):
# state only, the rows are already in place. Its content type moves too, so permissions and admin
# history follow the model.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    already = content_types.objects.filter(app_label="components_app", model="projectdependency").exists()
    old = content_types.objects.filter(app_label="registry", model="projectdependency")
    if already:
        old.delete()
    else:
        old.update(app_label="components_app")


def restore_content_type(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType")
    content_types.objects.filter(app_label="components_app", model="projectdependency").update(app_label="registry")


class Migration(migrations.Migration):
    dependencies = [
        ("components_app", "0002_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("registry", "0004_projectdependency_to_components_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ProjectDependency",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("version", models.CharField(max_length=64)),
                        (
                            "depends_on",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="project_dependents",
                                to="registry.project",
                            ),
                        ),
                        (
                            "project",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="project_dependencies",
                                to="registry.project",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "project dependencies",
                        "ordering": ["project", "depends_on__name"],
                        "constraints": [
                            models.UniqueConstraint(models.F("project"), models.F("depends_on"), name="project_dependency_unique"),
                            models.CheckConstraint(
                                condition=models.Q(("project", models.F("depends_on")), _negated=True),
                                name="project_dependency_not_self",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
