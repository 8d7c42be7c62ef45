"""The release check on a temporary repository: it fails on a change without a bump and passes once the version
and its changelog entry are there."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("release_check", Path(__file__).parents[1] / "release_check.py")
release_check = sys.modules["release_check"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(release_check)

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]


def write(repo: Path, path: str, text: str) -> None:
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(text)


def pyproject(name: str, version: str, deps: tuple[str, ...] = ()) -> str:
    listed = ", ".join(f'"{d}"' for d in deps)
    return f'[project]\nname = "{name}"\nversion = "{version}"\ndependencies = [{listed}]\n'


def changelog(*versions: str) -> str:
    return "# Changelog\n\n" + "".join(f"## [{v}] - 2026-12-02\n\n### Added\n- work for {v}\n\n" for v in versions)


def commit(repo: Path, message: str) -> None:
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", message], cwd=repo, check=True)


def problems(repo: Path) -> dict[str, list[str]]:
    return {state.name: state.problems for state in release_check.check(repo)}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run([*GIT, "init", "-q", str(tmp_path)], check=True)
    write(tmp_path, "packages/alpha/pyproject.toml", pyproject("alpha", "0.1.0"))
    write(tmp_path, "packages/alpha/src/alpha/__init__.py", "X = 1\n")
    write(tmp_path, "packages/alpha/tests/test_alpha.py", "def test(): pass\n")
    write(tmp_path, "packages/alpha/CHANGELOG.md", changelog("0.1.0"))
    write(tmp_path, "packages/beta/pyproject.toml", pyproject("beta", "0.3.0", ("alpha>=0.1,<0.2", "requests>=2")))
    write(tmp_path, "packages/beta/src/beta/__init__.py", "Y = 2\n")
    write(tmp_path, "packages/beta/CHANGELOG.md", changelog("0.3.0"))
    commit(tmp_path, "first release")
    return tmp_path


def test_passes_when_nothing_changed_since_the_version_was_set(repo):
    assert problems(repo) == {"alpha": [], "beta": []}
    assert release_check.main(["--repo", str(repo)]) == 0


def test_a_committed_change_without_a_bump_fails_and_names_the_files(repo):
    write(repo, "packages/alpha/src/alpha/__init__.py", "X = 2\n")
    commit(repo, "change alpha")
    found = problems(repo)
    assert found["beta"] == []
    assert len(found["alpha"]) == 1 and "changed since 0.1.0" in found["alpha"][0]
    assert "packages/alpha/src/alpha/__init__.py" in found["alpha"][0]
    assert release_check.main(["--repo", str(repo)]) == 1


def test_uncommitted_and_new_files_count_too(repo):
    write(repo, "packages/beta/src/beta/new.py", "Z = 3\n")  # untracked
    assert "packages/beta/src/beta/new.py" in problems(repo)["beta"][0]


def test_tests_and_the_changelog_do_not_ship(repo):
    write(repo, "packages/alpha/tests/test_alpha.py", "def test(): assert True\n")
    write(repo, "packages/alpha/CHANGELOG.md", changelog("0.1.0") + "typo fixed\n")
    commit(repo, "tests only")
    assert problems(repo)["alpha"] == []


def test_a_bump_needs_its_changelog_entry_then_passes_once_committed(repo):
    write(repo, "packages/alpha/src/alpha/__init__.py", "X = 2\n")
    commit(repo, "change alpha")
    write(repo, "packages/alpha/pyproject.toml", pyproject("alpha", "0.1.1"))
    assert problems(repo)["alpha"] == ["packages/alpha/CHANGELOG.md has no entry under '## [0.1.1]'"]
    write(repo, "packages/alpha/CHANGELOG.md", changelog("0.1.1", "0.1.0"))
    assert problems(repo)["alpha"] == []
    commit(repo, "alpha 0.1.1")
    (state,) = [s for s in release_check.check(repo) if s.name == "alpha"]
    assert state.problems == [] and state.committed == "0.1.1"
    write(repo, "packages/alpha/src/alpha/__init__.py", "X = 3\n")  # a change after that release fails again
    assert "changed since 0.1.1" in problems(repo)["alpha"][0]


def test_a_version_must_move_forward(repo):
    write(repo, "packages/alpha/pyproject.toml", pyproject("alpha", "0.0.9"))
    write(repo, "packages/alpha/CHANGELOG.md", changelog("0.0.9", "0.1.0"))
    assert problems(repo)["alpha"] == ["version 0.0.9 does not come after the committed 0.1.0"]


def test_ranges_between_our_packages_are_bounded_and_admit_the_version_beside_them(repo):
    write(repo, "packages/alpha/pyproject.toml", pyproject("alpha", "0.2.0"))
    write(repo, "packages/alpha/CHANGELOG.md", changelog("0.2.0", "0.1.0"))
    assert problems(repo)["beta"] == ["'alpha>=0.1,<0.2' does not admit alpha 0.2.0"]
    write(repo, "packages/beta/pyproject.toml", pyproject("beta", "0.3.1", ("alpha>=0.2",)))
    write(repo, "packages/beta/CHANGELOG.md", changelog("0.3.1", "0.3.0"))
    assert problems(repo)["beta"] == ["'alpha>=0.2': a range between our packages needs an upper bound"]
