"""A load tool for any xAPI LRS, and the raw-PostgreSQL baseline of lrs (see README.md)."""
