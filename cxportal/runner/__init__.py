"""Run the whole site from one terminal: Redis, a Celery worker, beat, the web server.

``manage.py runportal`` (and so ``make run``) uses this. Unless CX_MAILBOX_URL
is set, an SMTP sink (aiosmtpd) also runs, delivering whatever it receives
into a Maildir under var/ that the beat polls: mail sent to it becomes cases.
Every part is a child
process in its own process group, so one Ctrl-C reaches only the supervisor,
which then stops the children in order: the web server, beat and the worker
first (the worker finishes its task and acknowledges it), Redis last.

A child that dies on its own once the site is up is started again with the
same command line, and the console says so; the rest keep running, so a
customer in mid-submission still gets an answer. The embedded Redis comes
back on the same port with the same data directory (queued tasks survive
as far as Redis had saved them; the beat sweeps route any case whose task
was lost), and the supervisor waits for it to answer before restarting
another child due at the same time. The worker, beat and the web server
reconnect to it by themselves (a worker or beat started again while Redis
is still away waits for it). Restarts back off, and a child that dies
more than ``RestartPolicy.limit`` times within ``RestartPolicy.window``
seconds stops the whole site with a message naming it: a broken
configuration must not loop forever. A child that dies during startup
still stops everything at once (nothing is up yet to keep serving).

Modules: ``net`` (free ports, waiting until a child answers), ``servers``
(the command lines of the embedded Redis and SMTP sink), ``supervisor``
(starting, restarting and stopping the children) and ``portal`` (the site
itself: what starts in which order, and the banner).
"""

from cxportal.runner.net import StartupError, free_port, http_ok, port_is_free, wait_for_port, wait_for_redis
from cxportal.runner.portal import WORKER_QUEUES, PortalOptions, run_portal
from cxportal.runner.servers import redis_command, redis_executable, smtp_sink_command
from cxportal.runner.supervisor import Child, GaveUp, RestartPolicy, Supervisor, exit_description

__all__ = [
    "WORKER_QUEUES",
    "Child",
    "GaveUp",
    "PortalOptions",
    "RestartPolicy",
    "StartupError",
    "Supervisor",
    "exit_description",
    "free_port",
    "http_ok",
    "port_is_free",
    "redis_command",
    "redis_executable",
    "run_portal",
    "smtp_sink_command",
    "wait_for_port",
    "wait_for_redis",
]
