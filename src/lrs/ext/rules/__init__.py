"""Pure rules and formats of the extension: no SQL, no HTTP."""
