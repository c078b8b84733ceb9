"""What every app's tasks share (``cxportal.tasks``): queueing after commit."""

from unittest import mock

from cxportal.tasks import queue
from routing import tasks


class TestQueue:
    def test_it_waits_for_the_commit(self, db, django_capture_on_commit_callbacks):
        with mock.patch.object(tasks.route_case, "delay") as delay:
            with django_capture_on_commit_callbacks() as callbacks:
                queue(tasks.route_case, 42)
            delay.assert_not_called()

            (send,) = callbacks
            send()

        delay.assert_called_once_with(42)

    def test_a_broker_outage_is_logged_not_raised(self, db, django_capture_on_commit_callbacks, caplog):
        with (
            mock.patch.object(tasks.route_case, "delay", side_effect=ConnectionError("broker down")),
            django_capture_on_commit_callbacks(execute=True),
        ):
            queue(tasks.route_case, 42)

        assert "the sweep will retry" in caplog.text
