from datetime import date, time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from routing import demo
from routing.demo import DEFAULT_PASSWORD
from routing.learning import triage_train
from routing.models import (
    BusinessCalendar,
    Department,
    Holiday,
    Rule,
    RuleCondition,
    SLAPolicy,
    SLATarget,
    Tag,
    TriageVersion,
)

# A group on top of a role, for the fallback department's owner (carmen).
CUSTOMER_RECORDS = "Customer records"

# Role groups and the model permissions their members get in the admin.
ROLE_PERMISSIONS = {
    "Agents": [
        "feedback.view_case",
        "feedback.change_case",
        # Staff entry: a case taken on the phone or in a store, on the customer's behalf.
        "feedback.add_case",
        "feedback.view_customer",
        "feedback.view_caseevent",
    ],
    "Managers": [
        "feedback.view_case",
        "feedback.change_case",
        "feedback.add_case",
        "feedback.view_customer",
        "feedback.view_caseevent",
        "routing.view_department",
        "routing.view_tag",
        "routing.view_slapolicy",
        "routing.view_businesscalendar",
        "routing.view_holiday",
        # Managers record their team's absences, so cases go to the backup.
        "routing.view_absence",
        "routing.add_absence",
        "routing.change_absence",
        "routing.delete_absence",
        # Managers draft routing rules and try them on their own cases; only
        # administrators (routing.publish_rule, no demo group) enable them.
        "routing.view_rule",
        "routing.add_rule",
        "routing.change_rule",
        "routing.view_rulecondition",
        "routing.add_rulecondition",
        "routing.change_rulecondition",
        "routing.delete_rulecondition",
        "routing.view_ruleversion",
        "routing.view_ruletrial",
    ],
    "Executives": [
        "feedback.view_case",
        "feedback.view_customer",
        "feedback.view_caseevent",
        "feedback.view_all_cases",
        "routing.view_department",
        "routing.view_rule",
        "routing.view_tag",
        # Executives see every case, so they may compare triage models on past cases.
        "routing.view_triageversion",
    ],
    # Customer service keeps the customer records tidy: it folds duplicates of one person together.
    CUSTOMER_RECORDS: [
        "feedback.merge_customer",
    ],
}


class Command(BaseCommand):
    help = "Load the demo organisation (departments, people, tags, rules). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password for every demo login.")
        parser.add_argument("--force", action="store_true", help="Allow seeding when DEBUG is off.")

    @transaction.atomic
    def handle(self, *args, password: str, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo logins have known passwords: run with DEBUG=1, or --force.")
        groups = self._groups()
        users = self._users(password, groups)
        calendar = self._calendar()
        policies = {
            name: SLAPolicy.objects.update_or_create(
                name=name,
                defaults={
                    "first_response_hours": first,
                    "resolution_hours": resolution,
                    "calendar": calendar if calendar_name == calendar.name else None,
                },
            )[0]
            for name, first, resolution, calendar_name in demo.SLA_POLICIES
        }
        for policy, priority, first, resolution in demo.SLA_TARGETS:
            SLATarget.objects.update_or_create(
                policy=policies[policy],
                priority=priority,
                defaults={"first_response_hours": first, "resolution_hours": resolution},
            )
        departments = {}
        for slug, name, owner, _owner_name, backup, policy in demo.DEPARTMENTS:
            department, _ = Department.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "owner": users[owner],
                    "backup_owner": users[backup],
                    "sla_policy": policies[policy],
                    "is_fallback": slug == demo.FALLBACK,
                },
            )
            department.members.add(users[owner], users[backup])
            departments[slug] = department
        tags = {
            slug: Tag.objects.update_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in demo.TAGS
        }
        for name, order, keywords, extra, tag_slugs, department_slug, priority, exclusions in demo.RULES:
            if Rule.objects.filter(name=name).exists():
                continue  # keep edits made since the last seed
            rule = Rule.objects.create(
                name=name,
                order=order,
                set_priority=priority,
                set_department=departments.get(department_slug),
            )
            rule.add_tags.set([tags[s] for s in tag_slugs])
            RuleCondition.objects.create(
                rule=rule, group="any", field="text", operator="contains_any", value=keywords
            )
            for field, operator, value in extra:
                RuleCondition.objects.create(
                    rule=rule, group="all", field=field, operator=operator, value=value
                )
            if exclusions:
                RuleCondition.objects.create(
                    rule=rule, group="none", field="text", operator="contains_any", value=exclusions
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo organisation ready: {len(departments)} departments, {len(tags)} tags, "
                f"{Rule.objects.count()} rules, {len(users)} logins."
            )
        )
        if not TriageVersion.objects.filter(status=TriageVersion.Status.LIVE).exists():
            # Day one: the model trained on the starter corpus routes what no rule does.
            version = triage_train()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Triage model v{version.version} live, trained on "
                    f"{version.corpus_examples} starter messages in {version.train_seconds:.0f} s."
                )
            )

    def _calendar(self) -> BusinessCalendar:
        spec = demo.CALENDAR
        calendar, _ = BusinessCalendar.objects.update_or_create(
            name=spec["name"],
            defaults={
                "time_zone": spec["time_zone"],
                "opens_at": time(*spec["opens_at"]),
                "closes_at": time(*spec["closes_at"]),
                **{day: day in spec["weekdays"] for day in BusinessCalendar.WEEKDAYS},
            },
        )
        for day, name in demo.HOLIDAYS:
            Holiday.objects.get_or_create(
                calendar=calendar, date=date.fromisoformat(day), defaults={"name": name}
            )
        return calendar

    def _groups(self) -> dict[str, Group]:
        groups = {}
        for name, perms in ROLE_PERMISSIONS.items():
            group, _ = Group.objects.get_or_create(name=name)
            group.permissions.set(
                Permission.objects.get(content_type__app_label=p.split(".")[0], codename=p.split(".")[1])
                for p in perms
            )
            groups[name] = group
        return groups

    def _users(self, password: str, groups: dict[str, Group]) -> dict:
        User = get_user_model()
        people = {}
        for _slug, _name, owner, owner_name, backup, _policy in demo.DEPARTMENTS:
            people[owner] = (owner_name, "Managers")
            people[backup] = (backup.capitalize(), "Agents")
        people["elena"] = ("Elena Torres", "Executives")
        fallback_owner = next(owner for slug, _n, owner, *_rest in demo.DEPARTMENTS if slug == demo.FALLBACK)
        users = {}
        for login, (full_name, role) in people.items():
            first, _, last = full_name.partition(" ")
            user, _ = User.objects.update_or_create(
                username=login,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{login}@cx.example",
                    "is_staff": True,
                },
            )
            user.set_password(password)
            user.save()
            user.groups.set([groups[role]])
            if login == fallback_owner:
                user.groups.add(groups[CUSTOMER_RECORDS])
            users[login] = user
        admin, _ = User.objects.update_or_create(
            username="admin",
            defaults={"email": "admin@cx.example", "is_staff": True, "is_superuser": True},
        )
        admin.set_password(password)
        admin.save()
        users["admin"] = admin
        return users
