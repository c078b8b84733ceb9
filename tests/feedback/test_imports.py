"""Importing past cases from CSV: checked whole first, written once, in both modes."""

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone, translation

from cxportal.errors import ApplicationError
from feedback import imports
from feedback.imports import case_import_check, case_import_create, case_import_run, case_import_start
from feedback.models import Case, CaseEvent, CaseImport, Customer, Status
from feedback.tasks import requeue_case_imports, run_case_import
from notifications.models import Notification

from ..factories import CustomerFactory, DepartmentFactory, TagFactory, UserFactory

HEADER = [
    "external_id",
    "created_at",
    "name",
    "email",
    "phone",
    "kind",
    "channel",
    "subject",
    "message",
    "order_date",
    "status",
    "department",
    "owner",
    "tags",
    "resolved_at",
    "closed_at",
]
CLOSED = {
    "external_id": "OLD-1",
    "created_at": "2025-10-02 09:15",
    "name": "Ana García",
    "email": "Ana@Example.com",
    "kind": "complaint",
    "channel": "email",
    "subject": "Pedido sin llegar",
    "message": "Mi pedido lleva una semana de retraso",
    "order_date": "2025-09-22",
    "status": "closed",
    "department": "logistics",
    "owner": "luis",
    "tags": "delivery-delay|refund",
    "resolved_at": "2025-10-04 12:00",
    "closed_at": "2025-10-06",
}
OPEN = {
    "created_at": "2025-11-20",
    "name": "Tom",
    "phone": "612 345 678",
    "kind": "claim",
    "message": "Me cobraron dos veces",
    "status": "in_progress",
    "department": "billing",
    "owner": "bruno",
}
NEW = {
    "created_at": "2025-12-01 10:00",
    "email": "lucia@example.com",
    "message": "Gracias",
    "status": "new",
    "department": "customer-service",
}
TOMORROW = (timezone.localdate() + timedelta(days=1)).isoformat()
ROUTE_HEADER = [name for name in HEADER if name not in imports.HISTORY_COLUMNS]


def csv_bytes(rows: list[dict], header: list[str] = HEADER, delimiter: str = ",", bom: bool = False) -> bytes:
    def cell(value: str) -> str:
        needs_quotes = any(ch in value for ch in (delimiter, '"', "\n"))
        return '"' + value.replace('"', '""') + '"' if needs_quotes else value

    lines = [delimiter.join(header)]
    lines += [delimiter.join(cell(row.get(name, "")) for name in header) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


def upload(content: bytes, *, mode: str = "history", actor=None) -> CaseImport:
    return case_import_create(
        upload=SimpleUploadedFile("cases.csv", content, content_type="text/csv"), mode=mode, actor=actor
    )


def imported(content: bytes, *, mode: str = "history", actor=None) -> CaseImport:
    """Upload, check and write as the worker would; the import as it ended."""
    case_import = upload(content, mode=mode, actor=actor)
    if case_import_check(case_import=case_import):
        case_import_run(import_id=case_import.pk)
    case_import.refresh_from_db()
    return case_import


def english_errors(content: bytes, mode: str = "history") -> list[tuple]:
    with translation.override("en"):
        case_import = upload(content, mode=mode)
        assert not case_import_check(case_import=case_import)
    return [(e["line"], e["field"], e["message"]) for e in case_import.errors]


@pytest.fixture
def org(organisation):
    TagFactory(slug="refund")
    return organisation


class TestHistoryMode:
    def test_it_keeps_cases_as_they_were_without_notifying_anybody(
        self, org, laura, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            case_import = imported(csv_bytes([CLOSED, OPEN, NEW]), actor=laura)

        assert (case_import.state, case_import.total_rows, case_import.done_rows) == ("done", 3, 3)
        assert (case_import.created_cases, case_import.skipped_rows) == (3, 0)
        assert callbacks == []  # nothing routed, nothing sent
        assert Notification.objects.count() == 0
        case = Case.objects.get(external_id="OLD-1")
        local = timezone.get_current_timezone()
        assert case.source == "import"
        assert (case.status, case.department.slug, case.owner.username) == ("closed", "logistics", "luis")
        assert sorted(case.tags.values_list("slug", flat=True)) == ["delivery-delay", "refund"]
        assert case.created_at == datetime(2025, 10, 2, 9, 15, tzinfo=local)
        assert case.resolved_at == datetime(2025, 10, 4, 12, tzinfo=local)
        assert case.closed_at == datetime(2025, 10, 6, tzinfo=local)
        assert case.reference == f"CX-2025-{case.pk:06d}"
        assert case.first_response_due_at is None
        assert case.resolution_due_at is None
        assert case.customer.email == "ana@example.com"
        events = list(case.events.values_list("kind", "at", "data", "actor__username"))
        assert events == [
            ("created", case.created_at, {"import": case_import.pk, "line": 2}, "laura"),
            (
                "status_changed",
                case.closed_at,
                {"from": "new", "to": "closed", "reopened": False, "import": case_import.pk, "line": 2},
                "laura",
            ),
        ]

    def test_a_new_case_has_only_its_created_event_and_is_never_swept_into_routing(self, org):
        imported(csv_bytes([NEW]))

        case = Case.objects.get()
        assert case.status == Status.NEW
        assert list(case.events.values_list("kind", flat=True)) == ["created"]
        assert case.routed_at == case.created_at  # the unrouted sweep looks for routed_at IS NULL

    def test_a_new_case_needs_its_department_or_no_team_would_ever_see_it(self, org):
        # Marked routed so the sweep skips it: without a department it would be parked for good.
        errors = english_errors(csv_bytes([{**NEW, "department": ""}]))

        assert errors == [(2, "department", "An open case needs the department working it.")]

    def test_a_row_without_external_id_gets_a_hash_of_its_content(self, org):
        imported(csv_bytes([OPEN]))

        assert Case.objects.get().external_id.startswith("sha256:")

    def test_the_same_email_lands_on_the_existing_customer(self, org):
        customer = CustomerFactory(email="ana@example.com")

        imported(csv_bytes([CLOSED]))

        assert Case.objects.get().customer == customer
        assert Customer.objects.count() == 1


class TestRouteMode:
    def test_it_stores_and_routes_like_a_new_case_as_of_now(self, org, django_capture_on_commit_callbacks):
        row = {name: CLOSED.get(name, "") for name in ROUTE_HEADER}
        before = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            case_import = imported(csv_bytes([row], header=ROUTE_HEADER), mode="route")

        assert (case_import.state, case_import.created_cases) == ("done", 1)
        case = Case.objects.get()
        assert case.created_at == datetime(2025, 10, 2, 9, 15, tzinfo=timezone.get_current_timezone())
        assert case.status == Status.ROUTED
        assert case.department.slug == "customer-service"  # no rule matches: the fallback
        # Routed now: its due dates count from the routing, not from the old submission.
        assert case.routed_at >= before
        assert case.first_response_due_at > before
        assert Notification.objects.filter(case=case, event="routed").exists()
        # The customer heard from us when they wrote, back then: no acknowledgement now.
        assert not Notification.objects.filter(case=case, event="acknowledgement").exists()
        created = case.events.get(kind=CaseEvent.Kind.CREATED)
        assert created.data == {"import": case_import.pk, "line": 2}

    def test_history_columns_are_refused_in_route_mode(self, org):
        errors = english_errors(csv_bytes([CLOSED]), mode="route")

        assert ("status", "Only read in history mode: leave it blank.") in [e[1:] for e in errors]
        assert Case.objects.count() == 0


class TestChecks:
    def test_an_invalid_file_writes_nothing_and_reports_each_line(self, org):
        multiline = {**NEW, "message": "Primera línea\nsegunda línea"}
        rows = [
            CLOSED,
            {**OPEN, "owner": "laura"},  # line 3: laura does not work in billing
            multiline,  # lines 4 and 5
            {**NEW, "created_at": TOMORROW, "kind": "rant"},  # line 6
            {**NEW, "email": "", "department": "nowhere", "tags": "delivery-delay|nope"},  # line 7
            {**CLOSED, "resolved_at": ""},  # line 8, and OLD-1 again
        ]

        errors = english_errors(csv_bytes(rows))

        assert errors == [
            (3, "owner", "laura does not work in this department."),
            (6, "kind", '"rant" is not a valid choice.'),
            (6, "created_at", "This date is in the future."),
            (7, "email", "Give an email address or a phone number."),
            (7, "department", "No department “nowhere”."),
            (7, "tags", "No tag “nope”."),
            (8, "resolved_at", "Required for a case with this status."),
        ]
        assert Case.objects.count() == 0
        assert Customer.objects.count() == 0
        assert CaseImport.objects.get().state == "invalid"

    def test_an_external_id_given_twice_points_at_its_first_line(self, org):
        errors = english_errors(csv_bytes([CLOSED, OPEN, {**OPEN, "external_id": "OLD-1"}]))

        assert errors == [(4, "external_id", "Already on line 2.")]

    def test_a_bad_header_is_reported_on_line_one(self, org):
        assert english_errors(b"created_at,message,colour\n2025-10-02,Hola,red\n") == [
            (1, "", "Unknown columns: colour."),
        ]
        assert english_errors(b"created_at,name\n2025-10-02,Ana\n") == [
            (1, "", "Missing columns: message, email / phone."),
        ]

    def test_a_file_that_is_not_utf8_is_refused(self, org):
        errors = english_errors(csv_bytes([NEW]).replace(b"Gracias", "Grácias".encode("latin-1")))

        assert errors == [(2, "", "This line is not UTF-8 text.")]

    def test_a_nul_character_is_refused_on_its_line_and_never_stored(self, org):
        # PostgreSQL takes no NUL in text or jsonb: it must not reach a lookup, a case or the report.
        nul = {**NEW, "external_id": "N\x00UL", "department": "logis\x00tics", "owner": "lu\x00is"}
        case_import = upload(csv_bytes([NEW, nul]))

        with translation.override("en"):
            assert not case_import_check(case_import=case_import)

        assert case_import.errors == [
            {"line": 3, "field": "", "message": "The file contains a NUL character."}
        ]
        case_import.refresh_from_db()
        assert case_import.state == "invalid"
        assert "\\u0000" not in json.dumps(case_import.errors)
        assert not Case.objects.exists()

    def test_a_nul_character_fails_a_queued_import_without_writing(self, org):
        case_import = upload(csv_bytes([NEW, {**NEW, "message": "Gra\x00cias"}]))

        with translation.override("en"):
            assert run_case_import(case_import.pk) is False

        case_import.refresh_from_db()
        assert (case_import.state, case_import.errors) == (
            "invalid",
            [{"line": 3, "field": "", "message": "The file contains a NUL character."}],
        )
        assert not Case.objects.exists()

    def test_a_line_with_too_many_values_is_refused(self, org):
        errors = english_errors(b"created_at,email,message\n2025-10-02,a@example.com,Hola,extra\n")

        assert errors == [(2, "", "This line has 4 values; the header has 3.")]

    def test_the_report_stops_listing_after_its_limit_and_counts_the_rest(self, org, monkeypatch):
        monkeypatch.setattr(imports.rows, "MAX_ERRORS", 3)

        errors = english_errors(csv_bytes([{**NEW, "kind": "rant"}] * 5))

        assert errors[:3] == [(line, "kind", '"rant" is not a valid choice.') for line in (2, 3, 4)]
        assert errors[3] == (None, "", "…and 2 more errors.")

    def test_an_empty_file_is_invalid(self, org):
        assert english_errors(csv_bytes([])) == [(1, "", "The file has no rows.")]

    def test_a_file_with_a_bom_and_semicolons_is_read(self, org):
        case_import = imported(csv_bytes([CLOSED, OPEN], delimiter=";", bom=True))

        assert (case_import.state, case_import.created_cases) == ("done", 2)
        assert Case.objects.get(external_id="OLD-1").customer.name == "Ana García"

    def test_a_file_over_the_size_limit_is_refused(self, org, settings):
        settings.CX_IMPORT_MAX_MB = 0

        with pytest.raises(ApplicationError) as refused:
            upload(csv_bytes([NEW]))
        assert refused.value.code == "too_large"


class TestOnce:
    def test_the_uploaded_file_is_deleted_once_imported_or_refused(self, org):
        # It holds many customers' contacts: kept only while it is needed.
        done = upload(csv_bytes([CLOSED]))
        stored = done.file.path
        assert case_import_check(case_import=done)
        case_import_run(import_id=done.pk)
        refused = upload(csv_bytes([{**CLOSED, "kind": "nonsense"}]))
        refused_path = refused.file.path
        assert not case_import_check(case_import=refused)

        for case_import, path in ((done, stored), (refused, refused_path)):
            case_import.refresh_from_db()
            assert not case_import.file
            assert not Path(path).exists()

    def test_importing_the_same_or_an_overlapping_file_again_skips_what_is_in(self, org):
        imported(csv_bytes([CLOSED, OPEN]))

        again = imported(csv_bytes([OPEN, CLOSED, NEW]))

        assert (again.state, again.created_cases, again.skipped_rows) == ("done", 1, 2)
        assert Case.objects.count() == 3

    def test_a_row_repeated_within_a_file_is_written_once(self, org):
        case_import = imported(csv_bytes([OPEN, OPEN]))

        assert (case_import.created_cases, case_import.skipped_rows) == (1, 1)

    def test_the_task_run_twice_writes_each_case_once(self, org):
        case_import = upload(csv_bytes([CLOSED, OPEN, NEW]))

        assert run_case_import(case_import.pk) is True
        assert run_case_import(case_import.pk) is False

        case_import.refresh_from_db()
        assert (case_import.created_cases, case_import.skipped_rows) == (3, 0)
        assert Case.objects.count() == 3

    def test_imports_queued_while_the_broker_was_down_are_queued_again_once(self, org, settings):
        old = timezone.now() - settings.CX_REQUEUE_AFTER - timedelta(seconds=1)
        lost = upload(csv_bytes([NEW]))  # queue() could not reach the broker: nothing will run it
        CaseImport.objects.filter(pk=lost.pk).update(created_at=old)
        recent = upload(csv_bytes([OPEN]))  # its task may well be on its way
        invalid = upload(csv_bytes([{**NEW, "kind": "rant"}]))
        CaseImport.objects.filter(pk=invalid.pk).update(created_at=old, state=CaseImport.State.INVALID)

        assert requeue_case_imports() == 1
        assert requeue_case_imports() == 0

        states = dict(CaseImport.objects.values_list("pk", "state"))
        assert (states[lost.pk], states[recent.pk], states[invalid.pk]) == ("done", "queued", "invalid")
        assert Case.objects.count() == 1

    def test_the_beat_requeues_imports_on_the_periodic_queue(self):
        entry = next(
            e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == requeue_case_imports.name
        )

        assert entry["schedule"] > timedelta(0)
        assert settings.CELERY_TASK_ROUTES[requeue_case_imports.name] == {"queue": "periodic"}

    def test_a_run_that_died_midway_is_resumed_after_its_last_batch(self, org):
        rows = [{**NEW, "external_id": f"N-{n}"} for n in range(5)]
        case_import = upload(csv_bytes(rows))

        def die(progress):
            raise KeyboardInterrupt  # like a killed worker: no chance to record anything

        with pytest.raises(KeyboardInterrupt):
            case_import_run(import_id=case_import.pk, batch_size=2, progress=die)
        case_import.refresh_from_db()
        assert (case_import.state, case_import.done_rows, Case.objects.count()) == ("running", 2, 2)

        assert case_import_run(import_id=case_import.pk, batch_size=2) is True

        case_import.refresh_from_db()
        assert (case_import.state, case_import.done_rows) == ("done", 5)
        assert (case_import.created_cases, case_import.skipped_rows) == (5, 0)
        assert sorted(Case.objects.values_list("external_id", flat=True)) == [f"N-{n}" for n in range(5)]

    def test_a_run_stopped_at_its_time_limit_is_queued_again_and_resumes(self, org, settings):
        from celery.exceptions import SoftTimeLimitExceeded

        rows = [{**NEW, "external_id": f"N-{n}"} for n in range(5)]
        case_import = upload(csv_bytes(rows))

        def out_of_time(progress):
            raise SoftTimeLimitExceeded()

        assert case_import_run(import_id=case_import.pk, batch_size=2, progress=out_of_time) is False
        case_import.refresh_from_db()
        assert (case_import.state, case_import.done_rows, Case.objects.count()) == ("queued", 2, 2)
        assert case_import.file  # kept to resume from

        CaseImport.objects.filter(pk=case_import.pk).update(
            created_at=timezone.now() - settings.CX_REQUEUE_AFTER - timedelta(seconds=1)
        )
        assert requeue_case_imports() == 1

        case_import.refresh_from_db()
        assert (case_import.state, case_import.done_rows, case_import.created_cases) == ("done", 5, 5)
        assert sorted(Case.objects.values_list("external_id", flat=True)) == [f"N-{n}" for n in range(5)]

    def test_a_few_thousand_rows_are_written_in_batches(self, org):
        rows = [{**NEW, "email": f"c{n}@example.com", "message": f"Mensaje {n}"} for n in range(3000)]
        seen = []

        case_import = upload(csv_bytes(rows))
        assert case_import_check(case_import=case_import)
        case_import_run(import_id=case_import.pk, progress=lambda i: seen.append(i.done_rows))

        assert seen == list(range(200, 3001, 200))
        assert Case.objects.count() == 3000


@pytest.fixture
def importer(db):
    """A staff administrator who may import (and nothing else)."""
    user = UserFactory(username="ingrid")
    user.user_permissions.add(Permission.objects.get(codename="add_caseimport"))
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


class TestAdmin:
    def test_an_upload_is_checked_imported_and_followed(
        self, org, importer, django_capture_on_commit_callbacks
    ):
        content = csv_bytes([CLOSED, OPEN])
        with django_capture_on_commit_callbacks(execute=True):
            response = importer.post(
                "/admin/feedback/caseimport/add/",
                {"file": SimpleUploadedFile("old.csv", content), "mode": "history"},
            )

        case_import = CaseImport.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/admin/feedback/caseimport/{case_import.pk}/change/"
        progress = importer.get(f"/admin/feedback/caseimport/{case_import.pk}/progress/").json()
        assert progress == {
            "state": "done",
            "state_label": "Done",
            "finished": True,
            "total_rows": 2,
            "done_rows": 2,
            "created_cases": 2,
            "skipped_rows": 0,
        }
        page = importer.get(response["Location"])
        assert page.status_code == 200
        assert "2 cases created." in page.content.decode()
        assert importer.get("/admin/feedback/caseimport/").status_code == 200

    def test_an_invalid_upload_shows_its_report(self, org, importer):
        response = importer.post(
            "/admin/feedback/caseimport/add/",
            {
                "file": SimpleUploadedFile("old.csv", csv_bytes([CLOSED, {**NEW, "kind": "rant"}])),
                "mode": "history",
            },
            follow=True,
        )

        html = response.content.decode()
        assert CaseImport.objects.get().state == "invalid"
        assert 'id="import-errors"' in html
        assert "<td>3</td><td>kind</td>" in html
        assert Case.objects.count() == 0

    def test_a_running_import_page_polls_with_the_external_script(self, org, importer):
        case_import = upload(csv_bytes([NEW]))

        html = importer.get(f"/admin/feedback/caseimport/{case_import.pk}/change/").content.decode()

        assert 'src="/static/cx/import-progress.js"' in html
        assert f'data-url="/admin/feedback/caseimport/{case_import.pk}/progress/"' in html
        assert "<progress" in html

    def test_a_large_file_is_checked_by_the_worker(
        self, org, monkeypatch, django_capture_on_commit_callbacks
    ):
        monkeypatch.setattr(imports.services, "CHECK_NOW_BYTES", 10)
        case_import = upload(csv_bytes([{**NEW, "kind": "rant"}]))

        with django_capture_on_commit_callbacks(execute=True):
            case_import_start(case_import=case_import)

        case_import.refresh_from_db()
        assert case_import.state == "invalid"
        assert case_import.errors[0]["line"] == 2

    def test_an_oversized_file_is_refused_on_the_form(self, org, importer, settings):
        settings.CX_IMPORT_MAX_MB = 0

        response = importer.post(
            "/admin/feedback/caseimport/add/",
            {"file": SimpleUploadedFile("old.csv", csv_bytes([NEW])), "mode": "history"},
        )

        assert response.status_code == 200
        assert "larger than 0 MB" in response.content.decode()
        assert CaseImport.objects.count() == 0

    def test_staff_without_the_permission_are_refused(self, org, laura, staff_permissions):
        staff_permissions(laura)
        case_import = upload(csv_bytes([NEW]))
        client = Client()
        client.force_login(laura)

        for url in (
            "/admin/feedback/caseimport/",
            "/admin/feedback/caseimport/add/",
            f"/admin/feedback/caseimport/{case_import.pk}/change/",
            f"/admin/feedback/caseimport/{case_import.pk}/progress/",
        ):
            assert client.get(url).status_code == 403, url
        response = client.post(
            "/admin/feedback/caseimport/add/",
            {"file": SimpleUploadedFile("old.csv", csv_bytes([NEW])), "mode": "history"},
        )
        assert response.status_code == 403
        assert CaseImport.objects.count() == 1


class TestCommand:
    def test_it_imports_and_then_skips_on_a_second_run(self, org, laura, tmp_path, capsys):
        path = tmp_path / "old.csv"
        path.write_bytes(csv_bytes([CLOSED, OPEN, NEW]))

        call_command("import_cases", str(path), "--user", "laura")
        first = capsys.readouterr().out
        call_command("import_cases", str(path), "--mode", "history")
        second = capsys.readouterr().out

        assert "3 rows, 3 cases created, 0 rows skipped" in first
        assert "3 rows, 0 cases created, 3 rows skipped" in second
        assert Case.objects.count() == 3
        assert CaseImport.objects.filter(created_by=laura).count() == 1

    def test_an_invalid_file_prints_the_report_and_fails(self, org, tmp_path, capsys):
        path = tmp_path / "old.csv"
        path.write_bytes(csv_bytes([CLOSED, {**NEW, "kind": "rant"}]))

        with translation.override("en"), pytest.raises(CommandError, match="nothing imported"):
            call_command("import_cases", str(path))

        assert '3: kind: "rant" is not a valid choice.' in capsys.readouterr().out
        assert Case.objects.count() == 0

    def test_an_unknown_user_is_refused(self, org, tmp_path):
        path = tmp_path / "old.csv"
        path.write_bytes(csv_bytes([NEW]))

        with pytest.raises(CommandError, match="No user nobody"):
            call_command("import_cases", str(path), "--user", "nobody")

    def test_it_exits_non_zero_on_errors(self, org, tmp_path):
        path = tmp_path / "old.csv"
        path.write_bytes(b"created_at,email,message\n")

        with pytest.raises(SystemExit) as exited:
            execute_from_command_line(["manage.py", "import_cases", str(path)])

        assert exited.value.code == 1


def test_the_sample_file_imports_into_the_demo_organisation(org, laura, bruno):
    DepartmentFactory(
        slug="product-quality", owner=UserFactory(username="paula"), sla_policy=org["billing"].sla_policy
    )
    for slug in ("billing-error", "praise", "damaged-item"):
        TagFactory(slug=slug)
    sample = settings.BASE_DIR / "docs" / "import-sample.csv"
    assert sample.read_text(encoding="utf-8").splitlines()[0].split(",") == list(imports.COLUMNS)

    call_command("import_cases", str(sample))

    assert Case.objects.filter(source="import").count() == 4
