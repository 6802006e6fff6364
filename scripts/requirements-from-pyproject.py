"""Print the runtime dependencies of pyproject.toml, one per line (a requirements file).

The Dockerfile installs them in a layer of their own, built from pyproject.toml alone, so
that editing the code does not reinstall every dependency.
"""

import sys
import tomllib

with open(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml", "rb") as file:
    for requirement in tomllib.load(file)["project"]["dependencies"]:
        print(requirement)
