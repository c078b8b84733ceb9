"""compose.yaml and the Dockerfile run the Procfile's lines, unchanged, with production settings."""

import json
import re
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent


def procfile() -> dict[str, str]:
    lines = {}
    for line in (BASE_DIR / "Procfile").read_text().splitlines():
        found = re.match(r"^([a-z]+):\s*(.+)$", line)
        if found:
            lines[found.group(1)] = found.group(2).strip()
    return lines


@pytest.fixture(scope="module")
def compose() -> dict:
    # Compose's own merge keys (<<) are YAML's: the safe loader resolves them.
    return yaml.safe_load((BASE_DIR / "compose.yaml").read_text())


def shell_line(command: list[str]) -> str:
    """The shell line of ["sh", "-c", "exec LINE"], as the shell sees it ($$ is compose's escaped $)."""
    assert command[:2] == ["sh", "-c"], command
    assert command[2].startswith("exec "), "exec: the program gets the signals, not a shell"
    return command[2].removeprefix("exec ").replace("$$", "$")


def test_every_procfile_line_is_a_service_running_exactly_that_line(compose):
    lines = procfile()

    assert set(lines) == {"web", "routing", "notifications", "periodic", "beat"}
    for name, line in lines.items():
        assert shell_line(compose["services"][name]["command"]) == line, name


def test_the_image_runs_the_web_line_by_default():
    cmd = re.search(r"^CMD (\[.*\])$", (BASE_DIR / "Dockerfile").read_text(), re.MULTILINE).group(1)

    assert shell_line(json.loads(cmd)) == procfile()["web"]


def test_the_services_share_production_settings_and_start_after_the_migration(compose):
    services = compose["services"]
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    for name in procfile():
        service = services[name]
        environment = service["environment"]
        assert environment["DEBUG"] == "0"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        # Required: compose refuses to start without it rather than use a default.
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert "var:/app/var" in service["volumes"]
    # The web server listens beyond the container's loopback.
    assert services["web"]["environment"]["HOST"] == "0.0.0.0"
    assert "replicas" not in services["beat"].get("deploy", {})
