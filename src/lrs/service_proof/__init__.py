"""Service proof: pure rules over service-case statements (no fastapi, no sqlalchemy).

`hours` does business-hour arithmetic per door, `rules` parses and validates rule bodies,
`evaluate` gives every obligation of a case its status, and `review` turns evaluated cases
into the weekly exception review (JSON, CSV and the printable HTML page).
"""
