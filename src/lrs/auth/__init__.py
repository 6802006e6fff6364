"""Credentials to principal: HTTP Basic, slow-KDF secrets, xAPI scopes."""
