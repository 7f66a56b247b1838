"""A throwaway PostgreSQL server for tests that need a real gradebook database other than SQLite.

tests/conftest.py lists this module in `pytest_plugins`, so any test can request these fixtures:

- `postgresql_server` (session): one server in a new folder under the temporary directory, with
  `initdb` and `pg_ctl`, listening on 127.0.0.1 only, on a free port, with trust authentication for
  Unix-socket and 127.0.0.1 connections and for no other address. It is stopped and its folder deleted
  at the end of the session.
- `postgresql_db_url` (function): a new, empty database on that server for one test, as a SQLAlchemy
  URL such as `postgresql+psycopg://postgres@127.0.0.1:54321/test_gradebook_3`.

The server binaries come from Debian's `postgresql` package (/usr/lib/postgresql/<version>/bin) or from
PATH; the database driver is psycopg 3. PostgreSQL refuses to run as root, so as root the server runs as
the `postgres` system user, which owns the folder.
"""

import glob
import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

DEBIAN_BINARY_FOLDERS = "/usr/lib/postgresql/*/bin"
REQUIRED_BINARIES = ("initdb", "pg_ctl")
INSTALL_HINT = "Install PostgreSQL with 'apt-get install postgresql' (as root on Debian or Ubuntu)"
SERVER_OWNER_AS_ROOT = "postgres"
ADMIN_BINARY_FOLDERS = ("/usr/sbin", "/sbin")
SUPERUSER = "postgres"
INITDB_TIMEOUT_SECONDS = 120
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 60
# Another process may take the free port between the probe and the server's bind.
START_ATTEMPTS = 3
LOG_TAIL_LINES = 30
# PostgreSQL truncates identifiers to 63 bytes, so the test name is cut to this length and a
# number added after it keeps each database name unique.
DATABASE_NAME_LENGTH = 40

HBA_RULES = """\
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
"""

# The data is thrown away after the session, so durability settings are off to save disk writes.
SERVER_SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_folder}'
fsync = off
synchronous_commit = off
full_page_writes = off
"""

_database_numbers = itertools.count(1)


@dataclass(frozen=True)
class PostgresServer:
    """A running test server: its folders, its port and the superuser that tests connect as."""

    bin_folder: Path
    base_folder: Path
    port: int
    user: str = SUPERUSER

    @property
    def data_folder(self) -> Path:
        return self.base_folder / "data"

    @property
    def log_path(self) -> Path:
        return self.base_folder / "server.log"

    def url(self, database: str) -> str:
        """Return the SQLAlchemy URL of `database` on this server, over TCP to 127.0.0.1."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        """Open an autocommit connection to `database`, as CREATE and DROP DATABASE need."""
        return psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname=database, autocommit=True)


def find_bin_folder() -> Path:
    """Return the folder with initdb and pg_ctl: Debian's newest PostgreSQL, else the one on PATH."""
    debian_folders = sorted(map(Path, glob.glob(DEBIAN_BINARY_FOLDERS)), key=debian_version, reverse=True)
    for folder in debian_folders:
        if all((folder / name).is_file() for name in REQUIRED_BINARIES):
            return folder
    found = [shutil.which(name) for name in REQUIRED_BINARIES]
    if all(found) and Path(found[0]).parent == Path(found[1]).parent:
        return Path(found[0]).parent
    pytest.fail(
        f"PostgreSQL's {' and '.join(REQUIRED_BINARIES)} were not found in {DEBIAN_BINARY_FOLDERS} or on PATH. "
        f"{INSTALL_HINT}, then run the tests again.",
        pytrace=False,
    )


def debian_version(folder: Path) -> int:
    """Return the major version in /usr/lib/postgresql/<version>/bin, or -1 when it is not a number."""
    version = folder.parent.name
    return int(version) if version.isdigit() else -1


def server_owner() -> str | None:
    """Return the user the server must run as: `postgres` when the tests run as root, else None (the current user)."""
    return SERVER_OWNER_AS_ROOT if os.geteuid() == 0 else None


def find_runuser() -> str:
    """Return the path of util-linux's runuser, which lives in /usr/sbin, outside many users' PATH."""
    search_path = os.pathsep.join([os.environ.get("PATH", ""), *ADMIN_BINARY_FOLDERS])
    runuser = shutil.which("runuser", path=search_path)
    if runuser is None:
        pytest.fail(
            f"runuser (from util-linux) was not found on PATH or in {ADMIN_BINARY_FOLDERS}. "
            f"Tests that run as root need it to start PostgreSQL as '{SERVER_OWNER_AS_ROOT}'.",
            pytrace=False,
        )
    return runuser


def run_as_owner(command: list[str], owner: str | None, timeout: float) -> subprocess.CompletedProcess:
    """Run a PostgreSQL command as `owner` (through runuser) or as the current user, capturing its output."""
    if owner is not None:
        command = [find_runuser(), "-u", owner, "--", *command]
    # The server owner may not be able to read the current directory, so the command runs from /.
    return subprocess.run(command, cwd="/", capture_output=True, text=True, timeout=timeout)


def find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_base_folder(owner: str | None) -> Path:
    """Create the server's folder under the temporary directory, owned by `owner` when one is given.

    pytest's own temporary folders are private to the user running the tests, so the
    `postgres` user could not enter them. tempfile's folder sits directly in /tmp instead.
    """
    base_folder = Path(tempfile.mkdtemp(prefix="jwt-course-postgres-"))
    if owner is not None:
        try:
            shutil.chown(base_folder, user=owner, group=owner)
        except LookupError:
            shutil.rmtree(base_folder)
            pytest.fail(
                f"Tests that run as root start PostgreSQL as the '{owner}' system user, which does not exist. "
                f"{INSTALL_HINT}; the package creates that user.",
                pytrace=False,
            )
    return base_folder


def log_tail(server: PostgresServer) -> str:
    """Return the last lines of the server log, or a note that there is none yet."""
    if not server.log_path.exists():
        return f"(no server log at {server.log_path})"
    lines = server.log_path.read_text(errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:])


def init_data_folder(server: PostgresServer, owner: str | None) -> None:
    """Run initdb into the server's data folder, then restrict authentication to local connections."""
    command = [
        str(server.bin_folder / "initdb"),
        f"--pgdata={server.data_folder}",
        f"--username={server.user}",
        "--auth=trust",
        "--encoding=UTF8",
        "--no-locale",
        "--no-sync",
        "--no-instructions",
    ]
    result = run_as_owner(command, owner, INITDB_TIMEOUT_SECONDS)
    if result.returncode != 0:
        pytest.fail(f"initdb failed with exit code {result.returncode}:\n{result.stdout}{result.stderr}", pytrace=False)
    # With --auth=trust, initdb also trusts ::1 and replication connections. These rules admit only
    # the Unix socket and 127.0.0.1.
    (server.data_folder / "pg_hba.conf").write_text(HBA_RULES)


def start_server(server: PostgresServer, owner: str | None) -> subprocess.CompletedProcess:
    """Write the port and addresses into postgresql.conf, then run `pg_ctl start` and wait for connections."""
    settings = SERVER_SETTINGS.format(port=server.port, socket_folder=server.base_folder)
    with (server.data_folder / "postgresql.conf").open("a") as config:
        config.write(settings)
    command = [
        str(server.bin_folder / "pg_ctl"),
        "start",
        f"--pgdata={server.data_folder}",
        f"--log={server.log_path}",
        "--wait",
        f"--timeout={START_TIMEOUT_SECONDS}",
    ]
    # pg_ctl gives up after its own timeout, so the extra seconds only guard against a hung pg_ctl.
    return run_as_owner(command, owner, START_TIMEOUT_SECONDS + 10)


def stop_server(server: PostgresServer, owner: str | None, mode: str = "fast") -> subprocess.CompletedProcess:
    """Stop the server that runs from this data folder with pg_ctl.

    "fast" rolls back open transactions and shuts down cleanly. "immediate" ends the processes at once.
    """
    command = [
        str(server.bin_folder / "pg_ctl"),
        "stop",
        f"--pgdata={server.data_folder}",
        f"--mode={mode}",
        "--wait",
        f"--timeout={STOP_TIMEOUT_SECONDS}",
    ]
    return run_as_owner(command, owner, STOP_TIMEOUT_SECONDS + 10)


def check_connection(server: PostgresServer) -> None:
    """Connect over TCP as the tests will, and fail with the server log when the connection is rejected."""
    try:
        with server.connect() as connection:
            connection.execute("SELECT 1")
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL started but rejected a connection to 127.0.0.1:{server.port} as {server.user}: {error}\n"
            f"Server log {server.log_path}:\n{log_tail(server)}",
            pytrace=False,
        )


def launch_server(bin_folder: Path, owner: str | None) -> PostgresServer:
    """Create, start and check a server, trying another free port when the chosen one was taken."""
    for attempt in range(1, START_ATTEMPTS + 1):
        server = PostgresServer(bin_folder, make_base_folder(owner), find_free_port())
        init_data_folder(server, owner)
        result = start_server(server, owner)
        if result.returncode == 0:
            check_connection(server)
            return server

        # After a timeout the server may still be starting, so it is stopped before the next step.
        stop_server(server, owner, mode="immediate")
        tail = log_tail(server)
        port_taken = "Address already in use" in tail
        if not port_taken or attempt == START_ATTEMPTS:
            pytest.fail(
                f"pg_ctl start failed with exit code {result.returncode} on 127.0.0.1:{server.port} "
                f"(attempt {attempt} of {START_ATTEMPTS}; pg_ctl waits up to {START_TIMEOUT_SECONDS} s):\n"
                f"{result.stdout}{result.stderr}\nServer log {server.log_path}:\n{tail}",
                pytrace=False,
            )
        shutil.rmtree(server.base_folder)


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgresServer]:
    """Start one PostgreSQL server for the session and stop it, by its data folder, at the end."""
    owner = server_owner()
    server = launch_server(find_bin_folder(), owner)
    yield server

    result = stop_server(server, owner)
    if result.returncode != 0:
        # The folder stays for inspection, and a server that still runs is the one in that folder.
        pytest.fail(
            f"pg_ctl stop failed with exit code {result.returncode} for {server.data_folder}:\n"
            f"{result.stdout}{result.stderr}\nServer log {server.log_path}:\n{log_tail(server)}",
            pytrace=False,
        )
    shutil.rmtree(server.base_folder)


def database_name(test_name: str) -> str:
    """Return a new lowercase database name made from the test's name and a session-wide number."""
    stem = re.sub(r"[^a-z0-9]+", "_", test_name.lower()).strip("_")[:DATABASE_NAME_LENGTH]
    return f"{stem}_{next(_database_numbers)}"


@pytest.fixture
def postgresql_db_url(postgresql_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """Create an empty database for this test, yield its SQLAlchemy URL, and drop it afterwards."""
    name = database_name(request.node.name)
    with postgresql_server.connect() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield postgresql_server.url(name)

    # FORCE ends connections the test left open, such as a Gradebook's connection pool.
    with postgresql_server.connect() as connection:
        connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))

