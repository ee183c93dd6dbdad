# ProjectDependency is a component-project concept: it moves to components_app with its rows.
# The table is renamed here (the rows stay in it) and the model leaves registry's state;
# components_app 0003 takes the model into its state over the renamed table.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_whole_string_name_validators"),
    ]

    operations = [
        migrations.AlterModelTable(name="projectdependency", table="components_app_projectdependency"),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ProjectDependency")],
            database_operations=[],
        ),
    ]
