#!/usr/bin/env python3
"""
Replay the README's quick start, as written, in a throwaway project.

Every command and edit comes from README.md itself, so a broken snippet
fails here: the ``sh`` blocks are run (``path/to/django-rememberme`` stands
for this checkout, ``createsuperuser`` runs without prompts), the settings
block is merged into the new project's settings (``...`` keeps what
``startproject`` wrote; new entries go after the entry the README puts
before them), the ``urls.py`` block replaces the project's ``urls.py``. In
place of ``runserver`` and a person at a browser, the server is started and
driven over HTTP: sign in with "Remember me" ticked, move the cookie jar past
the session age the README sets (the session cookie expires, as in a
browser), and the next request must be signed in on a new session key with
a rotated token; then drop the session cookies as a browser does when it
closes, and the next request must still be signed in.
docs/quickstart.rst must show the same snippets.

    python3 scripts/dev.py quickstart [--keep]
"""

from __future__ import annotations

import ast
import http.cookiejar
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "path/to/django-rememberme"
USERNAME, PASSWORD = "admin", "quick-start-password-42"


def fail(message: str) -> None:
    raise SystemExit(f"quick start: {message}")


def readme_blocks() -> list[tuple[str, str]]:
    """Return the (language, code) blocks of the README's "Quick start" section."""
    text = (ROOT / "README.md").read_text()
    match = re.search(r"^## Quick start\n(.*?)^## ", text, re.S | re.M)
    if match is None:
        fail("README.md has no '## Quick start' section")
    return re.findall(r"^```(\w+)\n(.*?)^```", match.group(1), re.S | re.M)


def docs_blocks() -> list[str]:
    """Return the code of every code-block in docs/quickstart.rst, dedented."""
    lines = (ROOT / "docs" / "quickstart.rst").read_text().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].startswith(".. code-block::"):
            i += 1
            body = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("   ")):
                body.append(lines[i][3:])
                i += 1
            blocks.append("\n".join(body).strip())
        else:
            i += 1
    return blocks


def run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    print("+", shlex.join(command), flush=True)
    completed = subprocess.run(command, cwd=cwd, env=env, check=False)
    if completed.returncode:
        fail(f"{shlex.join(command)} exited with {completed.returncode}")


def merge_settings(settings_py: Path, snippet: str) -> None:
    """Apply the README's settings snippet to a startproject settings file."""
    namespace: dict[str, object] = {"__file__": str(settings_py)}
    exec(compile(settings_py.read_text(), str(settings_py), "exec"), namespace)  # noqa: S102
    lines = ["", "# Added by the README's quick start."]
    for node in ast.parse(snippet).body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            fail(f"unexpected statement in the settings snippet: {ast.unparse(node)}")
        name = node.targets[0].id  # type: ignore[attr-defined]
        if isinstance(node.value, ast.List):
            existing = list(namespace.get(name, []))  # type: ignore[call-overload]
            previous = None
            for element in node.value.elts:
                value = ast.literal_eval(element)
                if value is Ellipsis:
                    continue
                if value not in existing:
                    at = existing.index(previous) + 1 if previous in existing else len(existing)
                    existing.insert(at, value)
                previous = value
            lines.append(f"{name} = {existing!r}")
        else:
            lines.append(ast.unparse(node))
    with settings_py.open("a") as handle:
        handle.write("\n".join(lines) + "\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Browser:
    """Just enough of a browser: a cookie jar that can be "closed"."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, data: dict[str, str] | None = None) -> tuple[str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        request.add_header("Referer", self.base + path)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            fail(f"{error.geturl()} answered {error.code} {error.reason}")
            raise

    def close(self) -> None:
        """Drop the session cookies (no expiry), keep the persistent ones."""
        for cookie in list(self.jar):
            if cookie.expires is None:
                self.jar.clear(cookie.domain, cookie.path, cookie.name)

    def expire(self, seconds: int) -> None:
        """Move the jar ``seconds`` on: drop the cookies that expire by then."""
        later = time.time() + seconds
        for cookie in list(self.jar):
            if cookie.expires is not None and cookie.expires <= later:
                self.jar.clear(cookie.domain, cookie.path, cookie.name)

    def cookie_values(self) -> dict[str, str | None]:
        return {cookie.name: cookie.value for cookie in self.jar}

    def cookie_names(self) -> set[str]:
        return {cookie.name for cookie in self.jar}


def sign_in_and_restart(base: str, login_path: str) -> None:
    browser = Browser(base)
    _, page = browser.get(login_path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        fail("no CSRF token on the login page")
    landed, page = browser.get(
        login_path,
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": USERNAME,
            "password": PASSWORD,
            "remember_me": "on",
        },
    )
    print(f"signed in, landed on {landed}", flush=True)
    if "this browser" not in page:
        fail(f"after signing in, {landed} does not show this browser as remembered")
    if "rememberme" not in browser.cookie_names():
        fail("no remember-me cookie after a remembered login")
    before = browser.cookie_values()
    age = session_age()
    browser.expire(age)
    print(f"{age} seconds later: the session cookie expired", flush=True)
    if "sessionid" in browser.cookie_names():
        fail(f"the session cookie outlives REMEMBERME_SESSION_AGE ({age} s)")
    again, page = browser.get(urllib.parse.urlparse(landed).path)
    if urllib.parse.urlparse(again).path != urllib.parse.urlparse(landed).path:
        fail(f"after the session ended, sent to {again} instead of staying signed in")
    if "this browser" not in page:
        fail("after the session ended, the page does not show a signed-in user")
    after = browser.cookie_values()
    if not after.get("sessionid") or after["sessionid"] == before.get("sessionid"):
        fail("no new session after the session ended")
    if not after.get("rememberme") or after["rememberme"] == before["rememberme"]:
        fail("the token was not rotated by the restore")
    print(f"restored: still signed in on {again}, new session, token rotated", flush=True)
    browser.close()
    print("browser closed: session cookies dropped", flush=True)
    again, page = browser.get(urllib.parse.urlparse(landed).path)
    if "this browser" not in page:
        fail("after the browser restart, the page does not show a signed-in user")
    print(f"after the restart, still signed in on {again}", flush=True)


def session_age() -> int:
    """Return the REMEMBERME_SESSION_AGE the README's settings give (seconds)."""
    match = re.search(r"^REMEMBERME_SESSION_AGE = (\d+)", readme_text(), re.M)
    return int(match.group(1)) if match else 3600


def replay(workdir: Path) -> None:
    blocks = readme_blocks()
    documented = docs_blocks()
    for language, code in blocks:
        if code.strip() not in documented:
            fail(f"docs/quickstart.rst lacks this README {language} block:\n{code}")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("PYTHONPATH", None)
    env["DJANGO_SUPERUSER_PASSWORD"] = PASSWORD
    env["DJANGO_SUPERUSER_USERNAME"] = USERNAME
    env["DJANGO_SUPERUSER_EMAIL"] = "admin@example.com"
    cwd = workdir
    project: Path | None = None
    server_command: list[str] | None = None
    for language, code in blocks:
        if language == "python" and "INSTALLED_APPS" in code:
            if project is None:
                fail("the settings snippet comes before startproject")
            merge_settings(next(project.glob("*/settings.py")), code)
            continue
        if language == "python" and "urlpatterns" in code:
            if project is None:
                fail("the urls.py snippet comes before startproject")
            next(project.glob("*/urls.py")).write_text(code)
            continue
        if language != "sh":
            continue
        for line in code.splitlines():
            line = line.split("  #", 1)[0].strip()
            for part in (p.strip() for p in line.split("&&")):
                if not part:
                    continue
                words = shlex.split(part)
                if words[:3] == ["python3", "-m", "venv"]:
                    run([sys.executable, "-m", "venv", words[3]], cwd, env)
                    venv_bin = (cwd / words[3] / "bin").resolve()
                    env["PATH"] = f"{venv_bin}{os.pathsep}{env['PATH']}"
                    env["VIRTUAL_ENV"] = str(venv_bin.parent)
                elif words[0] == ".":
                    continue  # activation: PATH is set above
                elif words[:2] == ["pip", "install"]:
                    args = [str(ROOT) if w == PLACEHOLDER else w for w in words[2:]]
                    run(["python", "-m", "pip", "install", "--quiet", *args], cwd, env)
                elif words[0] == "cd":
                    cwd = cwd / words[1]
                    project = cwd
                elif words[-1] == "createsuperuser":
                    run([*words, "--noinput"], cwd, env)
                elif words[-1] == "runserver":
                    server_command = words
                else:
                    run(words, cwd, env)
    if project is None or server_command is None:
        fail("the README never starts a project and a server")
    port = free_port()
    command = [*server_command, "--noreload", f"127.0.0.1:{port}"]
    print("+", shlex.join(command), flush=True)
    server = subprocess.Popen(command, cwd=cwd, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            if server.poll() is not None:
                fail(f"runserver exited with {server.returncode}")
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        login_path = re.search(r"http://127\.0\.0\.1:8000(/\S+?/)>", readme_text())
        if login_path is None:
            fail("the README does not say which page to open")
        sign_in_and_restart(base, login_path.group(1))
    finally:
        server.terminate()
        server.wait(timeout=30)


def readme_text() -> str:
    return (ROOT / "README.md").read_text()


def main() -> None:
    keep = "--keep" in sys.argv
    workdir = Path(tempfile.mkdtemp(prefix="rememberme-quickstart-"))
    try:
        replay(workdir)
    finally:
        if keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("quick start: the README's steps give a remembered login that restores its session.")


if __name__ == "__main__":
    main()
