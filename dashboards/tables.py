"""The tables the dashboard pages show, built once for the HTML page and its CSV export."""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from feedback.models import Channel, Kind
from routing.models import Department

from . import rollups
from .indicators import (
    INDICATORS,
    LOGISTICS_KEYS,
    OVERVIEW_KEYS,
    REGISTRY,
    TOTAL,
    Figures,
    Indicator,
    compute,
)
from .periods import Period

UNROUTED = "unrouted"
LOGISTICS = "logistics"


@dataclass(frozen=True)
class Cell:
    """One figure of this period next to the same figure of the previous period."""

    indicator: Indicator
    value: object
    previous: object

    @property
    def delta(self):
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def trend(self) -> str:
        """ "up", "down" or "flat"; "" when there is nothing to compare."""
        delta = self.delta
        if delta is None:
            return ""
        zero = timedelta(0) if isinstance(delta, timedelta) else 0
        # Differences below rounding are no change worth colouring.
        if delta == zero or (isinstance(delta, float) and abs(delta) < 0.05):
            return "flat"
        return "up" if delta > zero else "down"

    @property
    def is_better(self) -> bool | None:
        """Whether the change is good news (None when there is no change)."""
        if self.trend not in ("up", "down"):
            return None
        return (self.trend == "up") == self.indicator.higher_is_better


@dataclass(frozen=True)
class Row:
    name: str
    # What the admin links filter on: a department, "unrouted" or None (every case).
    scope: Department | str | None
    slug: str
    cells: list[Cell]

    def cell(self, key: str) -> Cell:
        return next(cell for cell in self.cells if cell.indicator.key == key)


def _cells(keys: Iterable[str], current: Figures | None, previous: Figures | None) -> list[Cell]:
    return [
        Cell(
            INDICATORS[key],
            current[key] if current else _empty(key),
            previous[key] if previous else _empty(key),
        )
        for key in keys
    ]


def _empty(key: str):
    # A scope without cases: counts are 0, averages and shares have no value.
    return 0 if INDICATORS[key].format == "count" else None


def _both(
    *, departments: list[int] | None, period: Period, late_days: int, detail: bool
) -> tuple[dict, dict]:
    """The figures of the period and of the previous one, from one load of their days."""
    previous = period.previous
    span = rollups.load(
        previous.first_day, period.last_day, now=period.now, departments=departments, detail=detail
    )
    options: dict[str, Any] = {
        "now": period.now,
        "departments": departments,
        "late_days": late_days,
        "detail": detail,
        "span": span,
    }
    return (
        compute(first_day=period.first_day, last_day=period.last_day, **options),
        compute(first_day=previous.first_day, last_day=previous.last_day, **options),
    )


def overview_tables(*, departments: list[Department], sees_all: bool, period: Period, late_days: int) -> dict:
    """Every department side by side on the overview's key indicators, plus the total.

    Those who see all see every case, the ones not routed yet included;
    the others the cases of their departments (as ``cases_visible_to``).
    """
    scope = None if sees_all else [d.pk for d in departments]
    current, previous = _both(departments=scope, period=period, late_days=late_days, detail=False)
    rows = [
        Row(d.name, d, d.slug, _cells(OVERVIEW_KEYS, current.get(d.pk), previous.get(d.pk)))
        for d in departments
    ]
    unrouted = (
        Row(
            _("Not routed yet"),
            UNROUTED,
            UNROUTED,
            _cells(OVERVIEW_KEYS, current.get(None), previous.get(None)),
        )
        if sees_all
        else None
    )
    total = Row(_("Total"), None, TOTAL, _cells(OVERVIEW_KEYS, current.get(TOTAL), previous.get(TOTAL)))
    return {
        "columns": [INDICATORS[key] for key in OVERVIEW_KEYS],
        "rows": rows,
        "unrouted": unrouted,
        "total": total,
        "daily": current[TOTAL].daily,
    }


def department_tables(*, department: Department, period: Period, late_days: int) -> dict:
    """Every indicator of one team, and its volume by kind, channel and tag."""
    current, previous = _both(departments=[department.pk], period=period, late_days=late_days, detail=True)
    now, before = current.get(department.pk), previous.get(department.pk)
    keys = [i.key for i in REGISTRY if department.slug == LOGISTICS or i.key not in LOGISTICS_KEYS]
    volumes = {}
    labels = {"by_kind": dict(Kind.choices), "by_channel": dict(Channel.choices), "by_tag": {}}
    for name in ("by_kind", "by_channel", "by_tag"):
        this, last = getattr(now, name, {}) if now else {}, getattr(before, name, {}) if before else {}
        volumes[name] = [
            (key, str(labels[name].get(key, key)), this.get(key, 0), last.get(key, 0))
            for key in sorted(set(this) | set(last), key=lambda k: (-this.get(k, 0), k))
        ]
    headline = Row(department.name, department, department.slug, _cells(OVERVIEW_KEYS, now, before))
    volume_tables = [
        (volumes["by_kind"], _("Received by kind"), _("Kind"), "kind"),
        (volumes["by_channel"], _("Received by channel"), _("Channel"), "channel"),
        (volumes["by_tag"], _("Received by tag"), _("Tag"), "tags__slug"),
    ]
    cells = [
        # The share's label says which N it counts (``?late_days=``).
        Cell(replace(c.indicator, label=_late_label(late_days)), c.value, c.previous)
        if c.indicator.key == "late_share"
        else c
        for c in _cells(keys, now, before)
    ]
    daily = now.daily if now else {}
    return {"headline": headline, "cells": cells, "volume_tables": volume_tables, "daily": daily, **volumes}


def _late_label(days: int) -> str:
    return ngettext(
        "Delivery complaints over %(days)s day late", "Delivery complaints over %(days)s days late", days
    ) % {"days": days}


def csv_value(indicator: Indicator | None, value) -> str:
    """Machine-readable: durations in hours, shares and scores with two decimals, no value empty."""
    if value is None:
        return ""
    if isinstance(value, timedelta):
        return f"{value.total_seconds() / 3600:.2f}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _header(indicator: Indicator) -> str:
    return f"{indicator.label} (h)" if indicator.format == "duration" else str(indicator.label)


def overview_csv(tables: dict, period: Period) -> str:
    rows = [
        [_("Cases by department"), f"{period.first_day.isoformat()} - {period.last_day.isoformat()}"],
        [_("Department")]
        + [
            h
            for c in tables["columns"]
            for h in (_header(c), _("%(label)s, previous period") % {"label": _header(c)})
        ],
    ]
    for row in [*tables["rows"], tables["unrouted"], tables["total"]]:
        if row is not None:
            rows.append(
                [row.name]
                + [
                    v
                    for c in row.cells
                    for v in (csv_value(c.indicator, c.value), csv_value(c.indicator, c.previous))
                ]
            )
    return _write([rows])


def department_csv(tables: dict, department: Department, period: Period) -> str:
    span = f"{period.first_day.isoformat()} - {period.last_day.isoformat()}"
    this, previous = _("This period"), _("Previous period")
    sections = [
        [[department.name, span], [_("Indicator"), this, previous]]
        + [
            [_header(c.indicator), csv_value(c.indicator, c.value), csv_value(c.indicator, c.previous)]
            for c in tables["cells"]
        ]
    ]
    for name, title, column in (
        ("by_kind", _("Received by kind"), _("Kind")),
        ("by_channel", _("Received by channel"), _("Channel")),
        ("by_tag", _("Received by tag"), _("Tag")),
    ):
        sections.append(
            [[title, span], [column, this, previous]] + [[label, n, m] for _k, label, n, m in tables[name]]
        )
    return _write(sections)


def _write(sections: list[list[list]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for i, rows in enumerate(sections):
        if i:
            writer.writerow([])
        writer.writerows(rows)
    return out.getvalue()
