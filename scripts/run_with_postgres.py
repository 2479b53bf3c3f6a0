#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL cluster.

Usage::

    python3 scripts/run_with_postgres.py -- pytest -q

The script finds ``initdb`` and ``pg_ctl`` (on PATH, else the newest
``/usr/lib/postgresql/*/bin``), creates a cluster in a temporary directory
(owned by the ``postgres`` user when run as root: PostgreSQL refuses to run as
root), starts it on a free port of 127.0.0.1 with trust authentication, creates
the ``alliance`` database, and runs the command with
``ALLIANCE_DATABASE_URL=postgres://postgres@127.0.0.1:PORT/alliance``.
Whatever happens, the cluster is stopped and its directory deleted; the exit
code is the command's.

Without PostgreSQL binaries, the run is skipped (exit 0) on a developer's
machine, and fails (exit 2) when ``CI=true``.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUPERUSER = "postgres"
DATABASE = "alliance"
OS_USER = "postgres"  # the account the server runs as when we are root


def log(message: str) -> None:
    print(f"[run_with_postgres] {message}", file=sys.stderr, flush=True)


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)


def find_bindir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or ``None``."""
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
        candidates.append(Path(bindir))
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="alliance-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.logfile = self.root / "server.log"
        self.port = 0
        self.started = False
        self.sockets.mkdir()
        if self.as_root:
            try:
                account = pwd.getpwnam(OS_USER)
            except KeyError:
                raise SystemExit(
                    f"running as root, but there is no {OS_USER!r} user to run PostgreSQL as "
                    "(install Debian's postgresql package, which creates it)"
                ) from None
            self.uid, self.gid = account.pw_uid, account.pw_gid
            for path in (self.root, self.sockets):
                os.chown(path, self.uid, self.gid)
            os.chmod(self.root, 0o700)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self.as_root:
            kwargs = {"user": self.uid, "group": self.gid, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C", "PGTZ": "UTC"}
        if self.as_root:
            env["HOME"] = str(self.root)
        result = subprocess.run(  # noqa: S603
            args,
            cwd=self.root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            **kwargs,  # type: ignore[arg-type]
        )
        if check and result.returncode != 0:
            log(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
            raise SystemExit(2)
        return result

    def init(self) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "--pgdata", str(self.data),
            "--username", SUPERUSER,
            "--auth", "trust",
            "--encoding", "UTF8",
            "--locale", "C",
            "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.sockets}",
                # A throwaway cluster: durability buys nothing, speed does.
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=50",
            ]
        )
        for attempt in range(5):
            self.port = free_port()
            result = self._run(
                str(self.bindir / "pg_ctl"),
                "--pgdata", str(self.data),
                "--log", str(self.logfile),
                "--options", f"-p {self.port} {options}",
                "--wait", "--timeout", "60",
                "start",
                check=False,
            )  # fmt: skip
            if result.returncode == 0:
                self.started = True
                return
            log(f"start on port {self.port} failed (attempt {attempt + 1}):\n{self.server_log()}")
            time.sleep(0.5)
        raise SystemExit(2)

    def create_database(self) -> None:
        createdb = self.bindir / "createdb"
        if not createdb.is_file():
            found = shutil.which("createdb")
            createdb = Path(found) if found else createdb
        if not createdb.is_file():
            log("no createdb found: the 'alliance' database is not created (tests do not need it)")
            return
        self._run(
            str(createdb), "--host", "127.0.0.1", "--port", str(self.port),
            "--username", SUPERUSER, DATABASE,
        )  # fmt: skip

    def server_log(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no server log)"

    def destroy(self) -> None:
        if self.started:
            self._run(
                str(self.bindir / "pg_ctl"),
                "--pgdata", str(self.data),
                "--mode", "immediate",
                "--wait", "--timeout", "30",
                "stop",
                check=False,
            )  # fmt: skip
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"


def _raise_on_signal(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI", "").lower() == "true":
            log(
                "ERROR: no initdb found (CI=true, so PostgreSQL is required: apt-get install postgresql)"
            )
            return 2
        log("skipped PostgreSQL run: no initdb found (install PostgreSQL to run it)")
        return 0

    signal.signal(signal.SIGTERM, _raise_on_signal)
    signal.signal(signal.SIGHUP, _raise_on_signal)
    cluster = Cluster(bindir)
    child: subprocess.Popen[bytes] | None = None
    try:
        started_at = time.monotonic()
        cluster.init()
        cluster.start()
        cluster.create_database()
        log(
            f"PostgreSQL from {bindir} ready on port {cluster.port} in {time.monotonic() - started_at:.1f}s"
        )
        env = {**os.environ, "ALLIANCE_DATABASE_URL": cluster.url}
        child = subprocess.Popen(argv, env=env)  # noqa: S603
        return child.wait()
    except KeyboardInterrupt:
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        log("interrupted")
        return 130
    finally:
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
