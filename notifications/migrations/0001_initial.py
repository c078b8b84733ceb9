"""Take over routing's notification tables (renamed by routing 0013): state only, no data moved.

The content types follow, so permissions given to groups and users (and
the admin's history) keep pointing at the same models.
"""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MODELS = ("notification", "webhookdestination", "staffpreference")


def _move_content_types(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    LogEntry = apps.get_model("admin", "LogEntry")
    for model in MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue  # a new database: post_migrate creates them later
        new = ContentType.objects.filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        # Both exist (the site ran between migrating routing and this app): keep the new
        # one and carry over what pointed at the old, so no role loses a permission.
        for permission in Permission.objects.filter(content_type=old):
            twin = Permission.objects.filter(content_type=new, codename=permission.codename).first()
            if twin is None:
                permission.content_type = new
                permission.save(update_fields=["content_type"])
                continue
            for group in permission.group_set.all():
                group.permissions.add(twin)
            for user in permission.user_set.all():
                user.user_permissions.add(twin)
            permission.delete()
        LogEntry.objects.filter(content_type=old).update(content_type=new)
        old.delete()


def content_types_follow(apps, schema_editor) -> None:
    _move_content_types(apps, "routing", "notifications")


def content_types_go_back(apps, schema_editor) -> None:
    _move_content_types(apps, "notifications", "routing")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('admin', '0003_logentry_add_action_flag_choices'),
        ('routing', '0013_notifications_app'),
        ('feedback', '0017_customer_upper_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='WebhookDestination',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('url', models.URLField(max_length=500, validators=[django.core.validators.URLValidator(schemes=['http', 'https'])], verbose_name='URL')),
                ('secret', models.CharField(help_text='Signs each body: X-CX-Signature: sha256=<HMAC-SHA256>.', max_length=200, verbose_name='secret')),
                ('events', models.JSONField(blank=True, default=list, help_text='Event names, e.g. ["routed", "escalated"].', verbose_name='events')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('consecutive_failures', models.PositiveIntegerField(default=0, verbose_name='consecutive failures')),
                ('disabled_at', models.DateTimeField(blank=True, null=True, verbose_name='switched off')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
            ],
            options={
                'verbose_name': 'webhook',
                'verbose_name_plural': 'webhooks',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='StaffPreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(blank=True, choices=[('es', 'Spanish'), ('en', 'English')], help_text="Empty: the site's language.", max_length=8, verbose_name='language of emails')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='cx_preference', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'preferences',
                'verbose_name_plural': 'preferences',
            },
        ),
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=200, unique=True, verbose_name='idempotency key')),
                ('channel', models.CharField(choices=[('email', 'Email'), ('customer_email', 'Email to the customer'), ('webhook', 'Webhook')], default='email', max_length=20)),
                ('event', models.CharField(max_length=40, verbose_name='event')),
                ('about', models.CharField(blank=True, max_length=60, verbose_name='about')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed')], default='pending', max_length=10, verbose_name='status')),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('last_error', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='claimed')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='feedback.case')),
                ('recipient', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('destination', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='notifications', to='notifications.webhookdestination', verbose_name='webhook')),
            ],
            options={
                'verbose_name': 'notification',
                'verbose_name_plural': 'notifications',
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['status', 'created_at'], name='routing_not_status_3f4881_idx')],
            },
        ),
    ]),
        # The index keeps its rows; only its name follows the table's.
        migrations.RenameIndex('notification', new_name='notificatio_status_9a4505_idx', old_name='routing_not_status_3f4881_idx'),
        migrations.RunPython(content_types_follow, content_types_go_back),
    ]
