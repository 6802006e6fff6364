"""Use cases of the extension: each call builds a pure input, opens one transaction and runs
the storage queries of `lrs.ext.storage`."""
