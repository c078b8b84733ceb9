"""Every ``make manage ARGS="…"`` line in README.md works as written after ``make run``.

The commands run through the Makefile, in README order, in the state
``make run`` leaves (migrated, demo loaded), from a shell a user would have:
no DEBUG, no SECRET_KEY and none of the test settings. Their var/ directory,
SQLite database and working directory are throwaway, so nothing they write
reaches the developer's var/, database or working tree.
"""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.integration.fixtures import redis_server  # noqa: F401
from tests.integration.parts import BASE_DIR, RedisServer

README = BASE_DIR / "README.md"
# `make manage ARGS="…"`, optionally after `NAME=value` assignments for that command only.
COMMAND = re.compile(r'(?P<env>(?:\b[A-Z][A-Z0-9_]*=\S+\s+)*)make\s+manage\s+ARGS="(?P<args>[^"]*)"')
# A user's shell: everything else (SECRET_KEY, DEBUG, the test settings) is what the Makefile must not need.
USER_SHELL = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TERM", "TMPDIR", "TZ")
# What `make run` (runportal --demo) does to the database before it starts the site.
AFTER_MAKE_RUN = ("migrate --noinput", "seed_demo")
# Training and judging the triage model take over a minute each on two busy cores.
TIMEOUT = 900


def readme_commands(text: str) -> list[tuple[dict[str, str], str]]:
    """Each documented ``make manage`` command, in order: its own environment and its ARGS."""
    commands = []
    for match in COMMAND.finditer(text):
        env = dict(word.split("=", 1) for word in shlex.split(match["env"]))
        commands.append((env, " ".join(match["args"].split())))
    return commands


def interactive(args: str) -> bool:
    """A command that would wait for a person (createsuperuser without --noinput)."""
    words = args.split()
    return words[:1] == ["createsuperuser"] and not {"--noinput", "--no-input"} & set(words)


def throwaway_checkout(directory: Path) -> Path:
    """Links to the project's files, minus var/: relative paths in ARGS write here, not in the tree.

    The Makefile finds .venv and the requirements relative to the working
    directory, so the links give it the project's installed virtualenv.
    """
    directory.mkdir()
    for entry in BASE_DIR.iterdir():
        if entry.name not in {".git", "var"}:
            (directory / entry.name).symlink_to(entry)
    return directory


def without_make_variables(env: dict[str, str]) -> dict[str, str]:
    """A make run by `make test` would otherwise inherit its flags and command-line variables."""
    return {key: value for key, value in env.items() if key not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}


def make_manage(checkout: Path, env: dict[str, str], args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "manage", f"ARGS={args}"],
        cwd=checkout,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def report(args: str, result: subprocess.CompletedProcess) -> str:
    output = (result.stdout + result.stderr).strip().splitlines()
    return f'make manage ARGS="{args}" exited {result.returncode}:\n' + "\n".join(output[-25:])


def test_it_reads_each_command_with_its_own_environment():
    text = (
        'Run `make manage ARGS="generate_cases --count 3000"` first, then\n'
        '`DJANGO_SUPERUSER_PASSWORD=s3cret make manage ARGS="createsuperuser --noinput\n'
        '  --username me"`; `make manage` alone and `python manage.py check` are not commands.'
    )

    assert readme_commands(text) == [
        ({}, "generate_cases --count 3000"),
        ({"DJANGO_SUPERUSER_PASSWORD": "s3cret"}, "createsuperuser --noinput --username me"),
    ]


def test_it_knows_an_interactive_createsuperuser_cannot_run_unattended():
    assert interactive("createsuperuser --username me")
    assert not interactive("createsuperuser --noinput --username me")
    assert not interactive("seed_demo")


@pytest.mark.integration
def test_every_make_manage_command_in_the_readme_succeeds_after_make_run(request, tmp_path):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("The README's commands run on the demo's SQLite: the SQLite pass of the suite runs them.")
    if shutil.which("make") is None:
        pytest.skip("make is not installed.")
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert commands, "README.md documents no make manage command"
    # The same stamp-guarded step every target runs first; a no-op once installed.
    install = subprocess.run(
        ["make", "install"],
        cwd=BASE_DIR,
        env=without_make_variables(dict(os.environ)),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    redis: RedisServer = request.getfixturevalue("redis_server")
    checkout = throwaway_checkout(tmp_path / "checkout")
    env = {name: os.environ[name] for name in USER_SHELL if name in os.environ}
    env |= {
        "CX_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # make run's embedded Redis listens on the default port, which here may be
        # someone else's: a private server (and database) stands in for it.
        "REDIS_URL": redis.url.rsplit("/", 1)[0] + "/2",
    }
    for args in AFTER_MAKE_RUN:
        result = make_manage(checkout, env, args)
        assert result.returncode == 0, report(args, result)

    failures = []
    for own_env, args in commands:
        if interactive(args):
            failures.append(f'make manage ARGS="{args}" waits for input: document it with --noinput.')
            continue
        result = make_manage(checkout, env | own_env, args)
        if result.returncode != 0:
            failures.append(report(args, result))

    assert not failures, "\n\n".join(failures)
