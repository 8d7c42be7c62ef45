"""Release check: a package whose shipped files changed since the commit that last changed its version must carry a
new version and a CHANGELOG entry for it; ranges between our own packages must admit the versions beside them.

Computed from git history alone (no tags): for each ``packages/<name>``, the last commit that changed
``[project].version`` is found, and the package's files (everything but ``tests/`` and ``CHANGELOG.md``) in the
working tree are compared with that commit. Run ``python tools/release_check.py`` (exit 1 lists the problems).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version

UNSHIPPED = ("tests/", "CHANGELOG.md")


@dataclass
class PackageState:
    """What the check found for one package."""

    name: str
    version: str
    version_commit: str | None  # the last commit that changed the version (None: never committed)
    committed: str | None  # the version that commit set
    changed: list[str] = field(default_factory=list)  # shipped files changed since that commit
    problems: list[str] = field(default_factory=list)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def version_in(text: str | None) -> str | None:
    """``[project].version`` of a pyproject.toml's text (None when absent or unreadable)."""
    if text is None:
        return None
    try:
        return tomllib.loads(text).get("project", {}).get("version")
    except tomllib.TOMLDecodeError:
        return None


def file_at(repo: Path, commit: str, path: str) -> str | None:
    try:
        return git(repo, "show", f"{commit}:{path}")
    except subprocess.CalledProcessError:
        return None


def last_version_change(repo: Path, pyproject: str) -> str | None:
    """The newest commit whose version of ``pyproject`` differs from its first parent's (or that added it)."""
    for commit in git(repo, "log", "--first-parent", "--format=%H", "--", pyproject).split():
        before = file_at(repo, f"{commit}^", pyproject)  # None for a root commit or a new file
        if version_in(file_at(repo, commit, pyproject)) != version_in(before):
            return commit
    return None


def shipped_changes(repo: Path, folder: str, since: str | None) -> list[str]:
    """Files of ``folder`` (tracked or new, not ignored) that differ between ``since`` and the working tree."""
    untracked = git(repo, "ls-files", "--others", "--exclude-standard", "--", folder).split()
    tracked = (
        git(repo, "diff", "--name-only", since, "--", folder).split()
        if since
        else git(repo, "ls-files", folder).split()
    )
    files = sorted(set(tracked) | set(untracked))
    return [f for f in files if not f[len(folder) + 1 :].startswith(UNSHIPPED)]


def changelog_entry(path: Path, version: str) -> str | None:
    """The body of ``## [version]`` in a Keep a Changelog file (None when there is no such section)."""
    if not path.exists():
        return None
    match = re.search(rf"^## \[{re.escape(version)}\][^\n]*\n(.*?)(?=^## |\Z)", path.read_text(), re.M | re.S)
    return match.group(1).strip() if match else None


def check(repo: Path) -> list[PackageState]:
    """Check every package under ``repo/packages``."""
    repo = repo.resolve()
    projects = {}
    for pyproject in sorted((repo / "packages").glob("*/pyproject.toml")):
        projects[pyproject.parent.name] = tomllib.loads(pyproject.read_text())["project"]
    ours = {project["name"]: project["version"] for project in projects.values()}
    states = []
    for folder_name, project in projects.items():
        folder = f"packages/{folder_name}"
        pyproject = f"{folder}/pyproject.toml"
        commit = last_version_change(repo, pyproject)
        committed = version_in(file_at(repo, commit, pyproject)) if commit else None
        state = PackageState(project["name"], project["version"], commit, committed)
        states.append(state)
        try:
            current = Version(state.version)
        except InvalidVersion:
            state.problems.append(f"version {state.version!r} is not a PEP 440 version")
            continue
        if committed == state.version:  # not bumped in the working tree: nothing may have changed since
            state.changed = shipped_changes(repo, folder, commit)
            if state.changed:
                state.problems.append(
                    f"changed since {state.version} was set in {commit[:10]} ({', '.join(state.changed[:5])}"
                    f"{', …' if len(state.changed) > 5 else ''}): bump the version and add a CHANGELOG entry"
                )
        elif committed is not None and current <= Version(committed):
            state.problems.append(f"version {state.version} does not come after the committed {committed}")
        if not changelog_entry(repo / folder / "CHANGELOG.md", state.version):
            state.problems.append(f"{folder}/CHANGELOG.md has no entry under '## [{state.version}]'")
        for text in project.get("dependencies", []) + [
            r for reqs in project.get("optional-dependencies", {}).values() for r in reqs
        ]:
            requirement = Requirement(text)
            if requirement.name not in ours:
                continue
            if not any(spec.operator in ("<", "~=", "==") for spec in requirement.specifier):
                state.problems.append(f"{text!r}: a range between our packages needs an upper bound")
            if not requirement.specifier.contains(ours[requirement.name], prereleases=True):
                state.problems.append(f"{text!r} does not admit {requirement.name} {ours[requirement.name]}")
    return states


RELATIVE_LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)\s]+)\)")


def check_dists(repo: Path, dist: Path) -> list[str]:
    """Built wheels and sdists: version as in pyproject.toml, the README as the Markdown long description, and no
    relative link in it (PyPI cannot follow one)."""
    problems = []
    projects = {}
    for pyproject in (repo / "packages").glob("*/pyproject.toml"):
        project = tomllib.loads(pyproject.read_text())["project"]
        projects[project["name"].replace("-", "_")] = (project, pyproject.parent / project["readme"])
    for artifact in sorted(dist.iterdir()):
        if artifact.suffix == ".whl":
            with zipfile.ZipFile(artifact) as archive:
                name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
                raw = archive.read(name)
        elif artifact.name.endswith(".tar.gz"):
            with tarfile.open(artifact) as archive:
                member = next(
                    m for m in archive.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
                )
                raw = archive.extractfile(member).read()
        else:
            continue
        meta = message_from_bytes(raw)
        key = meta["Name"].replace("-", "_")
        if key not in projects:
            problems.append(f"{artifact.name}: {meta['Name']} is not one of our packages")
            continue
        project, readme = projects[key]
        body = meta.get_payload(decode=True).decode("utf-8")
        if meta["Version"] != project["version"]:
            problems.append(f"{artifact.name}: version {meta['Version']}, pyproject.toml says {project['version']}")
        if meta["Description-Content-Type"] != "text/markdown":
            problems.append(f"{artifact.name}: long description is {meta['Description-Content-Type']!r}, not Markdown")
        if body.strip() != readme.read_text().strip():
            problems.append(f"{artifact.name}: the long description is not {readme.name}")
        for link in RELATIVE_LINK.findall(body):
            problems.append(f"{artifact.name}: relative link {link!r} in the long description breaks on PyPI")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--dist", type=Path, help="check the wheels and sdists in this folder instead")
    args = parser.parse_args(argv)
    if args.dist:
        problems = check_dists(args.repo.resolve(), args.dist)
        count = sum(1 for p in args.dist.iterdir() if p.suffix == ".whl" or p.name.endswith(".tar.gz"))
        print(f"{count} artifacts: {'ok' if not problems else 'FAIL'}")
        for problem in problems:
            print(f"  - {problem}")
        return 1 if problems or not count else 0
    if git(args.repo, "rev-parse", "--is-shallow-repository").strip() == "true":
        print("release check: a shallow clone has no history to compare with (fetch with --unshallow)")
        return 1
    states = check(args.repo)
    for state in states:
        if state.committed == state.version:
            origin = f"set in {state.version_commit[:10]}"
        else:
            origin = f"bumped from {state.committed}, not committed yet" if state.committed else "never committed"
        print(f"{state.name} {state.version} ({origin}): {'ok' if not state.problems else 'FAIL'}")
        for problem in state.problems:
            print(f"  - {problem}")
    return 1 if any(state.problems for state in states) else 0


if __name__ == "__main__":
    sys.exit(main())
