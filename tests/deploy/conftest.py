"""Real scrapyd daemons on 127.0.0.1 for the deployment tests.

Each node runs ``python -m scrapyd`` in its own temporary directory with a copy of
deploy/scrapyd.conf (only the port, the directories and the poll interval changed), HTTP basic
auth on (credentials in the daemon's environment, as in production), and the test's archive in
LIAOCHENG_NEWS_DATABASE_URL.  Every daemon runs in its own process group, so stopping it also
stops any crawl it started, on success and on failure alike.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PYTHON = sys.executable
PROJECT = "liaocheng_news"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_config(workdir: Path, port: int) -> str:
    """deploy/scrapyd.conf with this node's port and directories (nothing else changed but the
    poll interval, so the test does not wait 5 s for each job to leave the queue)."""
    text = (DEPLOY / "scrapyd.conf").read_text(encoding="utf-8")
    replacements = {
        "http_port": str(port),
        "eggs_dir": str(workdir / "eggs"),
        "dbs_dir": str(workdir / "dbs"),
        "logs_dir": str(workdir / "logs"),
        "poll_interval": "0.5",
    }
    for key, value in replacements.items():
        text, n = re.subn(rf"^{key}\s*=.*$", f"{key} = {value}", text, flags=re.M)
        assert n == 1, f"deploy/scrapyd.conf has no single {key} line"
    return text


@dataclass
class ScrapydNode:
    """One running scrapyd; ``api()`` calls its JSON API with the node's credentials."""

    workdir: Path
    port: int
    username: str
    password: str = field(repr=False)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def request(self, endpoint: str, params: dict | list | None = None, *, post: bool = False,
                auth: tuple[str, str] | None | bool = True) -> tuple[int, dict]:
        """(HTTP status, JSON body); ``auth=False`` sends no credentials."""
        data = urllib.parse.urlencode(params or {}).encode() if post else None
        url = self.url + endpoint + ("" if post or not params else "?" + urllib.parse.urlencode(params))
        req = urllib.request.Request(url, data=data, method="POST" if post else "GET")
        user, password = (self.username, self.password) if auth is True else (auth or (None, None))
        if user:
            req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, {}

    def api(self, endpoint: str, params: dict | list | None = None, *, post: bool = False) -> dict:
        status, body = self.request(endpoint, params, post=post)
        assert status == 200 and body.get("status") == "ok", (endpoint, status, body, self.tail_log())
        return body

    def jobs(self) -> dict:
        return self.api("listjobs.json", {"project": PROJECT})

    def tail_log(self, lines: int = 40) -> str:
        log = self.workdir / "scrapyd.out"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""

    def job_log(self, spider: str, job: str) -> str:
        path = self.workdir / "logs" / PROJECT / spider / f"{job}.log"
        return path.read_text(errors="replace") if path.exists() else f"(no log at {path})"

    def start(self, env: dict[str, str], timeout: float = 30.0) -> "ScrapydNode":
        (self.workdir / "scrapyd.conf").write_text(node_config(self.workdir, self.port), encoding="utf-8")
        out = open(self.workdir / "scrapyd.out", "wb")
        self.process = subprocess.Popen([PYTHON, "-m", "scrapyd"], cwd=self.workdir, env=env, stdout=out,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"scrapyd exited with {self.process.returncode}:\n{self.tail_log()}")
            try:
                if self.request("daemonstatus.json")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"scrapyd did not answer on port {self.port} in {timeout}s:\n{self.tail_log()}")

    def stop(self) -> None:
        """Stop the daemon and every crawl it started (its whole process group)."""
        if self.process is None or self.process.poll() is not None:
            return
        pgid = self.process.pid  # start_new_session: the daemon leads its own group
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        try:  # crawls left behind by the daemon
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait_idle(self, timeout: float = 120.0) -> dict:
        """Poll listjobs.json until nothing is pending or running; returns the last answer."""
        deadline = time.monotonic() + timeout
        while True:
            jobs = self.jobs()
            if not jobs["pending"] and not jobs["running"]:
                return jobs
            if time.monotonic() > deadline:
                raise AssertionError(f"jobs still active after {timeout}s: {jobs}")
            time.sleep(0.5)


@pytest.fixture
def scrapyd_credentials() -> tuple[str, str]:
    return f"op-{secrets.token_hex(3)}", secrets.token_urlsafe(12)


@pytest.fixture
def scrapyd_env(archive_url, scrapyd_credentials, tmp_path) -> dict[str, str]:
    """The daemons' environment: credentials, the test's archive, a private LIAOCHENG_NEWS_HOME."""
    user, password = scrapyd_credentials
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SCRAPYD_", "SCRAPY_")) and k != "LIAOCHENG_NEWS_REPLAY_URL"}
    env.update({
        "SCRAPYD_USERNAME": user,
        "SCRAPYD_PASSWORD": password,
        "LIAOCHENG_NEWS_DATABASE_URL": archive_url,  # a conninfo string: simplest in the environment
        "LIAOCHENG_NEWS_HOME": str(tmp_path / "home"),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


@pytest.fixture
def start_scrapyd(scrapyd_env, scrapyd_credentials, tmp_path) -> Iterator:
    """A factory: ``start_scrapyd()`` starts one more node; all are stopped at the end."""
    nodes: list[ScrapydNode] = []

    def start() -> ScrapydNode:
        workdir = tmp_path / f"scrapyd{len(nodes)}"
        workdir.mkdir()
        node = ScrapydNode(workdir, free_port(), *scrapyd_credentials)
        nodes.append(node)
        return node.start(scrapyd_env)

    yield start
    for node in nodes:
        node.stop()


def deploy_egg(node: ScrapydNode, version: str | None = None) -> str:
    """Build and upload the egg with deploy/deploy.py, as an operator does; returns its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPYD_")}
    env.update({"SCRAPYD_URL": node.url, "SCRAPYD_USERNAME": node.username, "SCRAPYD_PASSWORD": node.password})
    args = [PYTHON, str(DEPLOY / "deploy.py")] + (["--version", version] if version else [])
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr + node.tail_log()
    return result.stdout


def run_scheduler(config: Path, node_env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    """``liaocheng-news schedule --config FILE --once``, as the systemd timer runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPYD_")}
    env.update({"SCRAPYD_USERNAME": node_env["SCRAPYD_USERNAME"],
                "SCRAPYD_PASSWORD": node_env["SCRAPYD_PASSWORD"]})
    script = Path(PYTHON).with_name("liaocheng-news")
    result = subprocess.run([str(script), "schedule", "--config", str(config), "--once", *extra],
                            env=env, capture_output=True, text=True, timeout=120)
    return result
