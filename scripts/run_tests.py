"""Run the suite on one database: `sqlite` (a temporary file) or `postgres` (a throwaway database).

PostgreSQL is at 127.0.0.1:5432 with trust auth unless TEST_POSTGRES_URL says otherwise. With CI=true an
unreachable server is a failure; on a developer machine it is skipped with a warning.
"""

import os
import subprocess
import sys
import tempfile
import uuid

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


def postgres_reachable(url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=5) as conn:
            conn.execute("select 1")
    except Exception as exc:  # any failure to connect means "not reachable"; say why
        return str(exc).strip() or exc.__class__.__name__
    return None


def main() -> int:
    backend, args = sys.argv[1], sys.argv[2:]
    env = dict(os.environ)
    data_dir = tempfile.mkdtemp(prefix="answerable-test-")
    env["ANSWERABLE_DATA_DIR"] = data_dir
    if backend == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{data_dir}/answerable.sqlite3"
    elif backend == "postgres":
        base = os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG)
        problem = postgres_reachable(base)
        if problem:
            if os.environ.get("CI", "").lower() == "true":
                print(f"PostgreSQL is not reachable at {base}: {problem}", file=sys.stderr)
                return 1
            print(f"SKIPPED the PostgreSQL run: not reachable at {base}: {problem}", file=sys.stderr)
            return 0
        # pytest-django creates test_<name> and drops it afterwards; the name is unique per run.
        name = f"answerable_{uuid.uuid4().hex[:10]}"
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + f"/{name}"
        args = ["-m", "not browser", *args]  # the browser test runs once, in the SQLite run
    else:
        print("usage: run_tests.py sqlite|postgres [pytest args]", file=sys.stderr)
        return 2
    print(f"== tests on {backend} ==", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)


if __name__ == "__main__":
    sys.exit(main())
