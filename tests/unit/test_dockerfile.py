"""The Dockerfile, checked without a Docker engine: a dependency layer that survives code
edits, a HEALTHCHECK that follows LRS_PORT (run here against a live server), and the embedded
default documented and given a volume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.cli.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "a continuation line runs off the end of the Dockerfile"
    parsed = []
    for line in logical:
        word, _, rest = line.partition(" ")
        parsed.append((word.upper(), rest.strip()))
    return parsed


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for word, rest in instructions():
        if word == "FROM":
            result.append([])
        assert result, "the Dockerfile must start with FROM"
        result[-1].append((word, rest))
    return result


def index(stage: list[tuple[str, str]], word: str, needle: str) -> int:
    return next(i for i, (w, rest) in enumerate(stage) if w == word and needle in rest)


def test_every_instruction_is_known() -> None:
    known = {"FROM", "ENV", "WORKDIR", "RUN", "COPY", "USER", "VOLUME", "EXPOSE"}
    known |= {"HEALTHCHECK", "ENTRYPOINT", "CMD", "ARG", "LABEL"}
    assert {word for word, _ in instructions()} <= known


def test_dependencies_are_installed_before_the_code_is_copied() -> None:
    build = stages()[0]
    copy_pyproject = index(build, "COPY", "pyproject.toml")
    install_deps = index(build, "RUN", "pip install -r")
    copy_src = index(build, "COPY", "src")
    assert copy_pyproject < install_deps < copy_src
    copied_before = " ".join(rest for word, rest in build[:install_deps] if word == "COPY")
    for path in ("src", "README.md", "migrations"):
        assert path not in copied_before.split(), f"{path} copied before the dependency layer"
    assert "--no-deps" in build[index(build, "RUN", "pip install --no-deps")][1]


def test_the_requirements_script_lists_exactly_the_dependencies() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "requirements-from-pyproject.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    with (ROOT / "pyproject.toml").open("rb") as file:
        expected = tomllib.load(file)["project"]["dependencies"]
    assert result.stdout.splitlines() == expected


def _healthcheck() -> list[str]:
    final = stages()[-1]
    rest = final[index(final, "HEALTHCHECK", "CMD")][1]
    command = json.loads(rest[rest.index("CMD") + 3 :])
    assert isinstance(command, list)
    return [str(part) for part in command]


def test_healthcheck_follows_lrs_port(live_base_url: str) -> None:
    command = _healthcheck()
    assert command[0] == "python"
    assert "LRS_PORT" in " ".join(command)
    port = live_base_url.rsplit(":", 1)[1]
    run = [sys.executable, *command[1:]]
    healthy = subprocess.run(run, env={**os.environ, "LRS_PORT": port}, capture_output=True)
    assert healthy.returncode == 0, healthy.stderr
    elsewhere = {**os.environ, "LRS_PORT": str(free_port())}
    unhealthy = subprocess.run(run, env=elsewhere, capture_output=True)
    assert unhealthy.returncode != 0


def test_the_port_comes_from_lrs_port_only() -> None:
    final = stages()[-1]
    env = " ".join(rest for word, rest in final if word == "ENV")
    assert "LRS_PORT=8000" in env
    for word, rest in final:
        if word in {"CMD", "ENTRYPOINT"}:
            assert "--port" not in rest, "a --port flag would override LRS_PORT"


def test_the_embedded_default_is_documented_and_has_a_volume() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "Without LRS_DATABASE_URL" in text
    final = stages()[-1]
    env = " ".join(rest for word, rest in final if word == "ENV")
    assert "LRS_DATA_DIR=/var/lib/lrs" in env
    assert any(word == "VOLUME" and "/var/lib/lrs" in rest for word, rest in final)
