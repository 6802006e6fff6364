"""The README works exactly as written: every ```sh block of README.md runs, in order, in one
bash session against a live `lrs serve`, and must succeed.

The server is `lrs serve --migrate` on a fresh database of the test PostgreSQL server (the
embedded one under `make test`, `LRS_TEST_DATABASE_URL` otherwise) with the development
credential `dev` / `dev-secret` (scopes `all` and `admin`), as `make run` creates it. It listens
on a free port, and the README's base URL `http://127.0.0.1:8000` is rewritten to that port in
each block before it runs, so a developer's own `make run` on 8000 never gets in the way.

The blocks share one bash session (variables carry over, as in a terminal), started in a scratch
directory that holds `.venv` (a link to the environment running the tests, whose `bin` is also
first on PATH, so `lrs` and `python -m conformance` work) and links to the checkout's
`examples/` (as when running them from the checkout), and with `LRS_DATABASE_URL` naming the
server's database, so `lrs ...` commands act on the LRS the examples talk to.

Rules the harness applies (README authors, see "README examples" in README.md):
- `<!-- readme: not run (reason) -->` on the line right before a block skips it; the test is
  reported as skipped with that reason.
- `<!-- readme: output contains TEXT -->` lines right before a block: its stdout must contain
  each TEXT.
- A block fails at its first failing command (as under `set -e`, with `pipefail`) and must end
  with status 0.
- `curl` runs with `--fail-with-body --show-error`, so an HTTP status of 400 or more fails the
  block, unless the command asks for the status itself (`-w '%{http_code}'`) or already
  passes `-f`: that is how an example shows an expected error.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import create_database, drop_database
from tests.live.serving import Served

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SHIPPED_DIRS = ("examples",)
README_BASE = "http://127.0.0.1:8000"
BLOCK_TIMEOUT = 90.0
NOT_RUN = re.compile(r"^<!--\s*readme:\s*not run\s*\((?P<reason>.+)\)\s*-->$")
OUTPUT = re.compile(r"^<!--\s*readme:\s*output contains\s+(?P<text>.+?)\s*-->$")

# Every curl fails on an HTTP error unless the command reads the status itself (see above).
CURL_WRAPPER = r"""
curl() {
  local arg fail=--fail-with-body
  for arg in "$@"; do
    case $arg in
      -w|--write-out|-f|--fail|--fail-with-body) fail= ;;
      --*) ;;
      -*) [[ $arg =~ ^-[a-zA-Z]*[wf][a-zA-Z]*$ ]] && fail= ;;
    esac
  done
  command curl ${fail:+"$fail"} --show-error "$@"
}
"""


@dataclass
class Block:
    line: int  # of the opening fence, 1-based
    code: str
    not_run: str | None = None
    expected: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"README.md:{self.line}"


def readme_blocks(text: str) -> list[Block]:
    """The ```sh blocks of the README, in order, with the markers on the lines above them."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        fence = lines[index].strip()
        if not fence.startswith("```"):
            index += 1
            continue
        end = next(
            (j for j in range(index + 1, len(lines)) if lines[j].strip() == "```"), len(lines)
        )
        if fence == "```sh":
            block = Block(line=index + 1, code="\n".join(lines[index + 1 : end]) + "\n")
            above = index - 1
            while above >= 0 and (
                NOT_RUN.match(lines[above].strip()) or OUTPUT.match(lines[above].strip())
            ):
                marker = lines[above].strip()
                if skipped := NOT_RUN.match(marker):
                    block.not_run = skipped["reason"]
                elif wanted := OUTPUT.match(marker):
                    block.expected.insert(0, wanted["text"])
                above -= 1
            blocks.append(block)
        index = end + 1
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


class Session:
    """One bash process fed block after block; each block's output goes to its own files."""

    def __init__(self, workdir: Path, env: dict[str, str], port: int) -> None:
        self.workdir = workdir
        self.port = port
        self.log = (workdir / ".session.log").open("wb")
        self.bash = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=workdir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._send("set -o pipefail\n" + CURL_WRAPPER)

    def _send(self, text: str) -> None:
        assert self.bash.stdin is not None
        self.bash.stdin.write(text.encode())
        self.bash.stdin.flush()

    def run(self, block: Block) -> tuple[int, str, str]:
        """Run one block; its exit status, stdout and stderr."""
        stem = self.workdir / f".block-{block.line}"
        script = block.code.replace(README_BASE, f"http://127.0.0.1:{self.port}")
        Path(f"{stem}.sh").write_text(script, encoding="utf-8")
        status = Path(f"{stem}.status")
        # The ERR trap stops the sourced block at its first failing command (set -e's rules)
        # without ending the session.
        self._send(
            "{ trap '__rc=$?; trap - ERR; return $__rc 2>/dev/null || true' ERR; "
            f". '{stem}.sh'; }} >'{stem}.out' 2>'{stem}.err' </dev/null; "
            f"__rc=$?; trap - ERR; echo $__rc >'{stem}.tmp'; mv '{stem}.tmp' '{status}'\n"
        )
        deadline = time.monotonic() + BLOCK_TIMEOUT
        while not status.exists():
            if self.bash.poll() is not None:
                return -1, *self._output(stem, "(the bash session ended)")
            if time.monotonic() > deadline:
                return -1, *self._output(stem, f"(timed out after {BLOCK_TIMEOUT:.0f} s)")
            time.sleep(0.02)
        return int(status.read_text().strip() or -1), *self._output(stem, "")

    @staticmethod
    def _output(stem: Path, note: str) -> tuple[str, str]:
        out = Path(f"{stem}.out")
        err = Path(f"{stem}.err")
        return (
            out.read_text(errors="replace") if out.exists() else "",
            (err.read_text(errors="replace") if err.exists() else "") + note,
        )

    def close(self) -> None:
        assert self.bash.stdin is not None
        self.bash.stdin.close()
        if self.bash.poll() is None:
            self.bash.kill()
            self.bash.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
async def readme_database(server_url: str) -> AsyncIterator[str]:
    url = await create_database(server_url, "lrs_readme")
    yield url
    await drop_database(server_url, url)


@pytest.fixture(scope="module")
def readme_server(
    readme_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    server = Served(readme_database, tmp_path_factory.mktemp("readme-server")).start()
    yield server
    server.stop()
    print(server.stderr()[-3000:])


@pytest.fixture(scope="module")
def session(
    readme_server: Served, readme_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Session]:
    workdir = tmp_path_factory.mktemp("readme-work")
    (workdir / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    # Files of the checkout that README examples name by a relative path (read only).
    for shipped in SHIPPED_DIRS:
        (workdir / shipped).symlink_to(ROOT / shipped, target_is_directory=True)
    bin_dir = str(Path(sys.prefix) / "bin")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LRS_", "MAKE", "MFLAGS", "VIRTUAL_ENV"))
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        LRS_DATABASE_URL=readme_database,
        HOME=str(workdir),
    )
    shell = Session(workdir, env, readme_server.port)
    yield shell
    shell.close()


def test_readme_has_examples() -> None:
    assert len([b for b in BLOCKS if b.not_run is None]) >= 10, [b.name for b in BLOCKS]


def test_markers_sit_on_sh_blocks() -> None:
    """A marker not followed by a ```sh block is a typo that would silently run nothing."""
    lines = README.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if line.strip().startswith("<!-- readme:"):
            following = next((x.strip() for x in lines[number:] if x.strip()), "")
            is_marker = following.startswith("<!-- readme:")
            assert is_marker or following == "```sh", f"README.md:{number}: {line.strip()}"
            assert NOT_RUN.match(line.strip()) or OUTPUT.match(line.strip()), (
                f"README.md:{number}: unknown marker {line.strip()}"
            )


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_readme_block(block: Block, session: Session) -> None:
    if block.not_run is not None:
        pytest.skip(f"{block.name}: not run ({block.not_run})")
    status, out, err = session.run(block)
    first = block.code.strip().splitlines()[0] if block.code.strip() else ""
    where = f"{block.name} (block starting `{first}`)"
    output = f"stdout:\n{out[-2000:]}\nstderr:\n{err[-2000:]}"
    assert status == 0, f"{where} exited with {status}\n{output}"
    for text in block.expected:
        assert text in out, f"{where}: output lacks {text!r}\nstdout:\n{out[-2000:]}"
