"""The Verb: an IRI ``id`` and an optional ``display`` language map (ST-VAL-050..052)."""

from __future__ import annotations

from lrs.xapi.validate._common import Keys, check_iri, check_language_map, check_object
from lrs.xapi.versions import XapiVersion

VOIDED = "http://adlnet.gov/expapi/verbs/voided"

_VERB_KEYS = Keys(("id", "display"), required=("id",))


def validate_verb(obj: object, version: XapiVersion, *, path: str) -> None:
    verb = check_object(obj, path, "a Verb object")
    _VERB_KEYS.check(verb, path)
    check_iri(verb["id"], f"{path}.id")
    if "display" in verb:
        check_language_map(verb["display"], f"{path}.display")
