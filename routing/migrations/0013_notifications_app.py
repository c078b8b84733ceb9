"""Notifications, webhook destinations and staff email preferences move to the notifications app.

The rows stay where they are: the tables are renamed (routing_* →
notifications_*) and routing forgets the models; notifications 0001 takes
them over without touching the database.

On PostgreSQL the tables' sequences, constraints and indexes keep their
``routing_`` names (they follow the table, so nothing breaks). A later
migration that changes ``Notification.key`` should check for the old
``routing_notification_key_…_like`` index, which Django would look for under
the new table's name.
"""

from django.db import migrations

MOVED = {
    "Notification": "notifications_notification",
    "WebhookDestination": "notifications_webhookdestination",
    "StaffPreference": "notifications_staffpreference",
}


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0012_webhook_url_http_only"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(model, table) for model, table in MOVED.items()],
            # Notification first: it points at WebhookDestination.
            state_operations=[migrations.DeleteModel(model) for model in MOVED],
        )
    ]
