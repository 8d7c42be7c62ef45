"""Project tasks. ``uvx nox`` runs the default sessions (lint, tests, wheels); ``uvx nox -s bench`` the benchmarks.

Each session installs the locked workspace (``uv sync --frozen``) into its own virtualenv.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests", "wheels"]
PACKAGES = sorted(p.name for p in Path("packages").iterdir() if (p / "pyproject.toml").exists())
# What a fresh install must be able to do, beyond importing (package data included, console scripts work).
SMOKE = {
    "toolcall-schema": "from toolcall_schema import record_schema, cli; record_schema(); cli.build_parser()",
}


def sync(session: nox.Session, *args: str) -> None:
    """Install the locked workspace (or the given groups) into the session's virtualenv."""
    session.run_install(
        "uv", "sync", "--frozen", *args, env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location}, external=True
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole repository."""
    sync(session, "--only-group", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def tests(session: nox.Session) -> None:
    """Unit and property tests of every package (pytest exit 5, no tests collected, fails the session)."""
    sync(session)
    session.run("pytest", *session.posargs)


@nox.session(venv_backend="none")
def wheels(session: nox.Session) -> None:
    """Each package builds a wheel that installs alone in a fresh virtualenv and imports."""
    tmp = Path(session.create_tmp())
    for name in PACKAGES:
        dist = tmp / "dist" / name
        session.run("uv", "build", "--package", name, "--wheel", "--out-dir", str(dist), external=True)
        (wheel,) = dist.glob("*.whl")
        venv = tmp / f"venv-{name}"
        session.run("uv", "venv", "--quiet", "--clear", str(venv), external=True)
        py = str(venv / "bin" / "python")
        session.run("uv", "pip", "install", "--quiet", "--python", py, str(wheel), external=True)
        module = name.replace("-", "_")
        session.run(py, "-c", f"import {module}; print({module}.__name__, {module}.__version__)", external=True)
        if name in SMOKE:
            session.run(py, "-c", SMOKE[name], external=True)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks under benchmarks/; results are printed and written to benchmarks/results/."""
    sync(session)
    session.run("python", "benchmarks/bench_schema.py", *session.posargs)
