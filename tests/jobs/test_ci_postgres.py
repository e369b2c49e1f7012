"""`.ci/start-postgres`, which `.ci/run` calls: starts whatever PostgreSQL cluster Debian has, or fails saying why.

Debian's cluster tools are stood in for by small scripts on PATH (a cluster's state in a file), so that the script's
decisions can be tested without stopping the machine's PostgreSQL; the last test runs it against the real one.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

SCRIPT = Path(settings.BASE_DIR, ".ci", "start-postgres")

FAKES = {
    "pg_lsclusters": 'cat "$STATE"\n',
    "pg_ctlcluster": 'echo "pg_ctlcluster $*" >> "$CALLS"\n'
                     '[ "${FAIL_START:-}" = 1 ] && { echo "could not bind" >&2; exit 1; }\n'
                     'sed -i "s/ down / online /" "$STATE"\n',
    "pg_createcluster": 'echo "pg_createcluster $*" >> "$CALLS"\necho "$1 $2 5432 down postgres /d /l" > "$STATE"\n',
    "pg_isready": '[ "${NEVER_READY:-}" = 1 ] && exit 2\ngrep -q " online " "$STATE"\n',
    "runuser": 'echo "runuser $*" >> "$CALLS"\n',
}


@pytest.fixture
def tools(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in FAKES.items():
        (bin_dir / name).write_text("#!/bin/sh\n" + body)
        (bin_dir / name).chmod(0o755)
    state, calls = tmp_path / "clusters", tmp_path / "calls"
    state.write_text("")
    calls.write_text("")

    def run(clusters: str, **env: str) -> subprocess.CompletedProcess:
        state.write_text(clusters)
        environment = {"PATH": f"{bin_dir}:/usr/bin:/bin", "STATE": str(state), "CALLS": str(calls), **env}
        return subprocess.run([str(SCRIPT)], env=environment, capture_output=True, text=True, timeout=60)

    run.calls = lambda: calls.read_text().splitlines()
    return run


def test_the_cluster_that_is_there_is_started_whatever_its_version_and_port(tools):
    result = tools("16 main 5433 down postgres /var/lib/postgresql/16/main /var/log/postgresql/16.log\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "postgres://portal:portal@127.0.0.1:5433/portal"
    assert "pg_ctlcluster 16 main start" in tools.calls()
    assert any(c.startswith("runuser -u postgres -- psql -q -p 5433") and "CREATE ROLE portal" in c
               for c in tools.calls())


def test_an_online_cluster_is_left_alone_and_the_newest_version_serves_the_tests(tools):
    result = tools("15 main 5432 online postgres /a /b\n16 main 5433 online postgres /c /d\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("@127.0.0.1:5433/portal")
    assert not [c for c in tools.calls() if c.startswith("pg_ctlcluster")]


def test_without_any_cluster_one_is_made_for_the_newest_server_installed(tools, tmp_path):
    servers = tmp_path / "servers"
    for version in ("9.6", "15", "16"):
        (servers / version).mkdir(parents=True)
    result = tools("", PG_SERVERS_DIR=str(servers))
    assert result.returncode == 0, result.stderr
    assert tools.calls()[:2] == ["pg_createcluster 16 main", "pg_ctlcluster 16 main start"]
    empty = tmp_path / "none"
    empty.mkdir()
    result = tools("", PG_SERVERS_DIR=str(empty))
    assert result.returncode == 1 and "no PostgreSQL server under" in result.stderr


def test_a_cluster_that_will_not_start_fails_ci_saying_so(tools):
    result = tools("15 main 5432 down postgres /a /b\n", FAIL_START="1")
    assert result.returncode == 1 and result.stdout == ""
    assert "could not start cluster 15/main" in result.stderr


def test_postgresql_that_never_answers_fails_ci_saying_where_it_looked(tools):
    result = tools("15 main 5432 down postgres /a /b\n", NEVER_READY="1", PG_START_TIMEOUT="1")
    assert result.returncode == 1 and result.stdout == ""
    assert "did not come up on 127.0.0.1:5432" in result.stderr


@pytest.mark.skipif(not (shutil.which("pg_lsclusters") and os.geteuid() == 0),
                    reason="needs Debian's PostgreSQL cluster tools and root, as CI has")
def test_against_this_machines_postgresql_it_prints_a_url_that_connects():
    import psycopg

    result = subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres") as conn:
        assert conn.execute("select rolcreatedb from pg_roles where rolname = 'portal'").fetchone() == (True,)
