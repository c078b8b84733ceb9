"""Moving the notification tables from routing to notifications keeps every row and permission."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from notifications.models import Notification, StaffPreference, WebhookDestination

BEFORE = [("routing", "0012_webhook_url_http_only"), ("feedback", "0017_customer_upper_indexes")]
AFTER = [("notifications", "0001_initial")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_rows_the_relations_and_the_permissions_survive_the_move():
    old = migrate(BEFORE)
    user = old.get_model("auth", "User").objects.create(username="carmen", email="carmen@example.com")
    customer = old.get_model("feedback", "Customer").objects.create(name="Ana", email="ana@example.com")
    case = old.get_model("feedback", "Case").objects.create(
        customer=customer, kind="complaint", channel="web", subject="Late", message="Late", reference="CX-1"
    )
    hook = old.get_model("routing", "WebhookDestination").objects.create(
        name="Chat", url="https://chat.example/hook", secret="s", events=["routed"], consecutive_failures=2
    )
    sent = old.get_model("routing", "Notification").objects.create(
        key="case:1:routed:user:1", case=case, recipient=user, event="routed", status="sent", attempts=1
    )
    posted = old.get_model("routing", "Notification").objects.create(
        key="case:1:routed:webhook:1", case=case, channel="webhook", event="routed", destination=hook
    )
    old.get_model("routing", "StaffPreference").objects.create(user=user, language="en")
    # Content types and permissions as an existing site has them, one granted to a role.
    old_type = ContentType.objects.get_or_create(app_label="routing", model="notification")[0]
    view = Permission.objects.get_or_create(
        content_type=old_type, codename="view_notification", defaults={"name": "Can view notification"}
    )[0]
    managers = Group.objects.create(name="Managers")
    managers.permissions.add(view)
    try:
        migrate(AFTER)

        assert Notification.objects.get(pk=sent.pk).recipient.username == "carmen"
        assert Notification.objects.get(pk=sent.pk).status == Notification.Status.SENT
        moved_hook = Notification.objects.get(pk=posted.pk).destination
        assert (moved_hook.name, moved_hook.consecutive_failures) == ("Chat", 2)
        assert WebhookDestination.objects.get().notifications.count() == 1
        assert StaffPreference.objects.get(user__username="carmen").language == "en"
        # New rows get ids after the old ones (the sequences moved with the tables).
        newer = Notification.objects.create(key="case:1:survey:customer", case_id=case.pk, event="survey")
        assert newer.pk > posted.pk
        # The role keeps its permission, now on the notifications app's model.
        assert managers.permissions.get().content_type.app_label == "notifications"
        assert set(Permission.objects.filter(group=managers).values_list("codename", flat=True)) == {
            "view_notification"
        }
        assert not ContentType.objects.filter(app_label="routing", model="notification").exists()
    finally:
        call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_grants_follow_when_the_new_content_type_already_exists():
    """The site ran between routing's migration and this one: both content types exist."""
    migrate(BEFORE)
    old_type = ContentType.objects.get_or_create(app_label="routing", model="notification")[0]
    old_view = Permission.objects.get_or_create(
        content_type=old_type, codename="view_notification", defaults={"name": "Can view notification"}
    )[0]
    old_only = Permission.objects.create(content_type=old_type, codename="resend_notification", name="Resend")
    new_type = ContentType.objects.create(app_label="notifications", model="notification")
    new_view = Permission.objects.create(
        content_type=new_type, codename="view_notification", name="Can view notification"
    )
    managers = Group.objects.create(name="Managers")
    managers.permissions.add(old_view, old_only)
    try:
        migrate(AFTER)

        assert set(managers.permissions.values_list("pk", flat=True)) == {new_view.pk, old_only.pk}
        assert set(managers.permissions.values_list("content_type", flat=True)) == {new_type.pk}
        assert not ContentType.objects.filter(app_label="routing", model="notification").exists()
    finally:
        call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_move_can_be_undone():
    migrate(AFTER)
    try:
        old = migrate(BEFORE)
        assert old.get_model("routing", "Notification").objects.count() == 0
        assert "routing_notification" in connection.introspection.table_names()
        assert "notifications_notification" not in connection.introspection.table_names()
    finally:
        call_command("migrate", verbosity=0)
