"""docs/install.md, walked: a site made by ``wagtail start`` becomes a working portal in its look.

The test does what the code blocks of docs/install.md say, in their order, reading each block
from the page itself so that the guide cannot drift from what works. A block preceded by an HTML
comment ``<!-- walk: … -->`` (invisible once rendered) is one step:

- ``append FILE``: the block goes at the end of FILE (the settings, the site's stylesheet);
- ``write FILE``: the block replaces FILE (urls.py);
- ``run``: each command of the block runs (``wagtail start``, ``cd``, ``python manage.py …``);
- ``shell``: the block runs through ``python manage.py shell -c``.

Unmarked blocks (``pip install``, the production settings, the worker) are not run. Then the
test starts the development server and fetches the portal page, which must be the portal's login
form inside the ``base.html`` that ``wagtail start`` wrote. No step may print a warning.

The interpreter is a fresh virtualenv holding only the package's wheel, built from the sources
as tests/test_packaging.py does; the dependencies (Wagtail, Django…) are borrowed from the
test's own virtualenv through a ``.pth`` file rather than installed, which keeps the walk within
a minute or two and offline. ``qcluster`` (a long-running worker) is not started.
"""

import os
import re
import shlex
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .test_packaging import REPO, make_venv

pytestmark = pytest.mark.slow

GUIDE = REPO / "docs" / "install.md"
STEP = re.compile(
    r"^[ \t]*<!-- walk: (?P<action>\w+)(?: (?P<target>\S+))? -->\n"
    r"[ \t]*```(?P<lang>\w+)\n(?P<body>.*?)\n[ \t]*```",
    re.M | re.S,
)
FIRST_PORT = 18006
# The one warning Django's runserver always prints, about itself.
RUNSERVER_NOTICE = re.compile(
    r"^WARNING: This is a development server\..*$\n(^For more information on production .*$\n)?",
    re.M,
)


def guide_steps(text: str) -> list[dict]:
    """The marked blocks of the guide, in order, their indentation (inside a list) removed."""
    steps = []
    for match in STEP.finditer(text):
        body = match["body"]
        indent = re.match(r"[ \t]*", match.group(0)).group(0)
        if indent:
            body = "\n".join(line.removeprefix(indent) for line in body.split("\n"))
        steps.append({**match.groupdict(), "body": body})
    return steps


def free_port() -> int:
    for port in range(FIRST_PORT, FIRST_PORT + 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port from {FIRST_PORT}")


def warnings_in(output: str) -> list[str]:
    output = RUNSERVER_NOTICE.sub("", output)
    return [line for line in output.splitlines() if re.search(r"warn|some issues", line, re.I)]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


class Walk:
    """The site being walked: where commands run, with which interpreter and environment."""

    def __init__(self, root: Path, python: Path):
        self.cwd = root
        self.python = python
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DATABASE_URL"}
            and not key.startswith("DJANGO_")
        }
        self.env.update(
            PATH=f"{python.parent}{os.pathsep}{os.environ['PATH']}",
            DJANGO_SUPERUSER_PASSWORD="walk-the-guide-2026",
        )
        self.log: list[tuple[str, str]] = []
        self.server_command = None

    def output_of(self, what: str, args: list) -> str:
        result = subprocess.run(
            args, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=300
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{what} failed ({result.returncode}):\n{output[-4000:]}"
        self.log.append((what, output))
        return output

    def command(self, line: str):
        args = shlex.split(line, comments=True)
        if not args:
            return
        if args[0] == "cd":
            self.cwd = self.cwd / args[1]
        elif args[:2] == ["wagtail", "start"]:
            self.output_of(line, [self.python, "-m", "wagtail.bin.wagtail", *args[1:]])
        elif args[:2] == ["python", "manage.py"] and args[2] == "runserver":
            self.server_command = args[3:]  # started by the test, on a free port
        elif args[:3] == ["python", "manage.py", "createsuperuser"]:
            extra = ["--noinput", "--username", "admin", "--email", "admin@example.org"]
            self.output_of(line, [self.python, *args[1:], *extra])
        elif args[:2] == ["python", "manage.py"]:
            self.output_of(line, [self.python, *args[1:]])
        else:
            raise AssertionError(f"the walk does not know how to run {line!r}")

    def step(self, step: dict):
        action, target, body = step["action"], step["target"], step["body"]
        if action == "run":
            for line in body.splitlines():
                self.command(line)
        elif action == "shell":
            self.output_of(f"shell:\n{body}", [self.python, "manage.py", "shell", "-c", body])
        elif action in {"append", "write"}:
            path = self.cwd / target
            assert action == "write" or path.exists(), f"{target} does not exist to append to"
            before = path.read_text() if action == "append" else ""
            path.write_text(f"{before}\n\n{body}\n")
        else:
            raise AssertionError(f"unknown step {action!r} in {GUIDE.name}")


def test_guide_marks_every_step_the_walk_needs():
    """The walk starts a site, sets it up, migrates, creates the page and the town, checks."""
    steps = guide_steps(GUIDE.read_text())
    commands = [s["body"] for s in steps if s["action"] == "run"]
    joined = "\n".join(commands)
    for needed in ("wagtail start mysite", "migrate", "check", "runserver"):
        assert needed in joined, needed
    targets = {s["target"] for s in steps if s["action"] in {"append", "write"}}
    assert targets == {
        "mysite/settings/base.py",
        "mysite/urls.py",
        "mysite/static/css/mysite.css",
    }
    shells = "\n".join(s["body"] for s in steps if s["action"] == "shell")
    assert "FamilyPortalPage" in shells and "Municipality" in shells and "hostname" in shells
    assert "WAGTAIL_FAMILY_PORTAL_BASE_TEMPLATE" in "\n".join(s["body"] for s in steps)


def test_the_install_guide_turns_a_wagtail_start_site_into_a_working_portal(tmp_path, portal_wheel):
    venv = make_venv(tmp_path, portal_wheel)
    python = venv / "bin" / "python"
    site = tmp_path / "site"
    site.mkdir()
    walk = Walk(site, python)

    for step in guide_steps(GUIDE.read_text()):
        walk.step(step)

    assert walk.cwd == site / "mysite" and walk.server_command == []
    installed = walk.output_of(
        "where", [python, "-c", "import wagtail_family_portal as p; print(p.__file__)"]
    )
    assert Path(installed.strip()).resolve().is_relative_to(venv.resolve()), installed

    port = free_port()
    server = subprocess.Popen(
        [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=walk.cwd,
        env=walk.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                status, html = get(f"{base}/espace-famille/")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.5)
        else:
            raise AssertionError("the development server did not answer")
        _, site_css = get(f"{base}/static/css/mysite.css")
        portal_css_status, _ = get(f"{base}/static/wagtail_family_portal/portal.css")
    finally:
        server.terminate()
        server_output = server.communicate(timeout=30)[0]
    walk.log.append(("runserver", server_output))

    assert status == 200
    # One page: the portal's frame inside the base.html that `wagtail start` wrote.
    assert html.lower().count("<html") == 1 and html.count("<body") == 1
    head = html[html.index("<head>") : html.index("</head>")]
    assert 'href="/static/css/mysite.css"' in head  # wagtail start's stylesheet…
    assert 'src="/static/js/mysite.js"' in html  # … and script
    assert 'href="/static/wagtail_family_portal/portal.css"' in head
    assert 'class="wfp"' in html and '<main id="main"' in html
    # The portal's login form, in French.
    assert 'id="wfp-login"' in html and 'name="username"' in html and 'name="password"' in html
    assert 'action="/espace-famille/connexion/"' in html
    assert "Se connecter" in html
    title = " ".join(re.search(r"<title>(.*?)</title>", html, re.S).group(1).split())
    assert title == "Espace famille – Belleville-sur-Loire"
    # The site's stylesheet carries the town's colours for the portal; the portal's CSS is served.
    assert "--wfp-primary: #7a1f5c" in site_css and portal_css_status == 200

    noisy = {what: found for what, output in walk.log if (found := warnings_in(output))}
    assert noisy == {}, noisy
