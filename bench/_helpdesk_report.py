"""The summary ``bench/helpdesk.py`` prints: what ran, and its cost per public submission."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from typing import Any


def summary(result: dict[str, Any]) -> str:
    try:
        ours = installed_version("Django")
    except PackageNotFoundError:
        ours = "not installed here"
    lines = [
        f"django-helpdesk {result['helpdesk_version']} (licence: {result['helpdesk_license']}), "
        f"Django {result['django_version']} (CX Portal's environment: {ours}), "
        f"Python {result['python_version']}",
        f"Database: {result['db_engine']} {result['db_version']}",
        "Resolved: "
        + ", ".join(f"{name}=={version}" for name, version in sorted(result["packages"].items())),
        f"{result['submissions']} public submissions after {result['warmup']} warm-up ones, DEBUG off, "
        "locmem email backend; per POST to /tickets/submit/ (test client, whole middleware stack):",
        f"  CPU in process           mean {result['cpu_ms_mean']:6.2f} ms  p50 {result['cpu_ms_p50']:6.2f} ms"
        f"  p95 {result['cpu_ms_p95']:6.2f} ms",
        f"  SQL statements           {result['sql_per_submission']:6.1f}",
        f"  emails                   {result['emails_per_submission']:6.1f} (submitter, queue's new-ticket CC)",
        f"  wall time                {result['wall_ms_per_submission']:6.2f} ms",
    ]
    if result["db_engine"] == "postgresql":
        if result["db_server_cpu_ms_per_submission"] is None:
            lines.append(
                "  PostgreSQL server CPU    not measured (the server is not a process on this machine)"
            )
        else:
            lines.append(
                f"  PostgreSQL server CPU    {result['db_server_cpu_ms_per_submission']:6.2f} ms"
                f" (whole cluster; the benchmark's backend alone:"
                f" {result['db_backend_cpu_ms_per_submission']:.2f} ms)"
            )
    return "\n".join(lines)
