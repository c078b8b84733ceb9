"""A real IMAP server for tests: Dovecot on loopback, configured in a temporary directory.

Nothing of the machine's own Dovecot is used but the binary: configuration,
sockets, state, log and mail all live in the directory, removed on stop.
Dovecot refuses to run its login processes or mail access as root, so when
the tests run as root those use Dovecot's own system users (``dovenull``,
``dovecot``), and the directory is made readable for them.
"""

import getpass
import grp
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cxportal.runner import free_port, wait_for_port

from .parts import stop_process

DOVECOT = Path("/usr/sbin/dovecot")

CONFIG = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:{dir}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={dir}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class DovecotServer:
    process: subprocess.Popen
    directory: Path
    port: int
    user: str = "cx"
    password: str = "secret"

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@127.0.0.1:{self.port}/INBOX"

    @classmethod
    def start(cls) -> "DovecotServer":
        # Not under pytest's tmp_path: its parents are private to the test
        # user, and Dovecot's unprivileged processes must reach the sockets.
        directory = Path(tempfile.mkdtemp(prefix="cx-dovecot-"))
        directory.chmod(0o755)
        for sub in ("run", "state", "mail", "home"):
            (directory / sub).mkdir()
        server_user = getpass.getuser()
        if os.geteuid() == 0:
            internal_user, login_user, mail_user = "dovecot", "dovenull", "dovecot"
            for sub in ("mail", "home"):
                shutil.chown(directory / sub, mail_user, grp.getgrgid(pwd.getpwnam(mail_user).pw_gid).gr_name)
        else:
            internal_user = login_user = mail_user = server_user
        port = free_port()
        (directory / "users").write_text(f"{cls.user}:{{PLAIN}}{cls.password}::::::\n")
        (directory / "dovecot.conf").write_text(
            CONFIG.format(
                dir=directory,
                port=port,
                internal_user=internal_user,
                login_user=login_user,
                mail_user=mail_user,
                mail_group=grp.getgrgid(pwd.getpwnam(mail_user).pw_gid).gr_name,
            )
        )
        with (directory / "stdout.log").open("wb") as out:
            process = subprocess.Popen(
                [str(DOVECOT), "-F", "-c", str(directory / "dovecot.conf")],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        server = cls(process, directory, port)
        try:
            wait_for_port("127.0.0.1", port, timeout=20, alive=lambda: process.poll() is None)
        except Exception:
            log = server.log()
            server.stop()
            raise AssertionError(f"Dovecot did not start:\n{log}") from None
        return server

    def log(self) -> str:
        return "".join(
            path.read_text(errors="replace")
            for path in (self.directory / "stdout.log", self.directory / "dovecot.log")
            if path.exists()
        )

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(self.user, self.password)
        client.select("INBOX")
        return client

    def append(self, raw: bytes) -> None:
        client = self.client()
        try:
            status, data = client.append("INBOX", None, None, raw)
            assert status == "OK", data
        finally:
            client.logout()

    def flags(self) -> list[bytes]:
        """The flags of every message in INBOX, in order."""
        client = self.client()
        try:
            status, data = client.uid("FETCH", "1:*", "(FLAGS)")
            assert status == "OK", data
            return [item for item in data if item]
        finally:
            client.logout()

    def stop(self) -> None:
        stop_process(self.process, grace=5)
        shutil.rmtree(self.directory, ignore_errors=True)
