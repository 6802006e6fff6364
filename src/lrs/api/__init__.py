"""Thin HTTP routers per xAPI resource, the middleware chain and the one error handler."""
