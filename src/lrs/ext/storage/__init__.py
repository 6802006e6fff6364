"""The SQL of the extension: its tables (on the shared metadata) and its named queries."""
