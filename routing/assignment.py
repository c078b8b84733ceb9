"""Who gets a case in a department: plain Python, ids in, one choice out.

The department says how (``AssignmentMode``); the caller says who is absent,
how many open cases each member owns and who got the previous case.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

OWNER = "owner"
ROUND_ROBIN = "round_robin"
LEAST_OPEN = "least_open"

# Why a person was chosen, as recorded on the ROUTED event.
REASON_OWNER = "owner"
REASON_BACKUP = "owner_absent_backup"
# Owner and backup both away (or no backup): the owner keeps it, and it is said.
REASON_OWNER_ANYWAY = "owner_absent_no_one_present"
REASON_ROUND_ROBIN = "round_robin"
REASON_LEAST_OPEN = "least_open"

# Shown to staff on the timeline next to the person chosen (never to the customer).
REASON_LABELS = {
    REASON_BACKUP: _("owner absent: backup"),
    REASON_OWNER_ANYWAY: _("owner absent, nobody to stand in"),
    REASON_ROUND_ROBIN: _("round robin"),
    REASON_LEAST_OPEN: _("fewest open cases"),
}


@dataclass(frozen=True)
class Assignment:
    user_id: int
    reason: str

    def as_dict(self) -> dict:
        return {"owner_id": self.user_id, "assignment": self.reason}

    def describe(self, name: str) -> str:
        """``name``, with why they were chosen unless they simply own the department."""
        label = REASON_LABELS.get(self.reason)
        return f"{name} ({label})" if label else name


def choose_assignee(
    *,
    mode: str,
    owner_id: int,
    backup_id: int | None = None,
    members: Collection[int] = (),
    absent: Collection[int] = (),
    open_counts: Mapping[int, int] | None = None,
    last_assigned_id: int | None = None,
) -> Assignment:
    """Pick the person who gets the next case.

    ``owner``: the owner, unless absent; then the backup if present; else the
    owner anyway. ``round_robin``: the present member after the one who got the
    previous case (by id, wrapping round). ``least_open``: the present member
    with the fewest open cases (lowest id on a tie). When every member is
    absent, the owner rule decides.
    """
    present = sorted(set(members) - set(absent))
    if mode == ROUND_ROBIN and present:
        later = [pk for pk in present if last_assigned_id is not None and pk > last_assigned_id]
        return Assignment((later or present)[0], REASON_ROUND_ROBIN)
    if mode == LEAST_OPEN and present:
        counts = open_counts or {}
        return Assignment(min(present, key=lambda pk: (counts.get(pk, 0), pk)), REASON_LEAST_OPEN)
    if owner_id not in absent:
        return Assignment(owner_id, REASON_OWNER)
    if backup_id is not None and backup_id not in absent:
        return Assignment(backup_id, REASON_BACKUP)
    return Assignment(owner_id, REASON_OWNER_ANYWAY)
