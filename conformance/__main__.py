"""``python -m conformance``: run the xAPI conformance suite against an LRS."""

from .cli import main

raise SystemExit(main())
