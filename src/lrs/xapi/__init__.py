"""Pure xAPI rules: validation, identifiers, formats, equivalence, version negotiation.

Nothing in this package imports fastapi, starlette or sqlalchemy.
"""
