"""xAPI conformance suite: checks any LRS against the numbered requirement list.

Run ``python -m conformance --endpoint URL --user KEY --password SECRET``.
"""

from .http import Config
from .registry import REGISTRY, Check, CheckFailed, CheckSkipped, check

__all__ = ["REGISTRY", "Check", "CheckFailed", "CheckSkipped", "Config", "check"]
