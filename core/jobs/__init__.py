"""Background work: the record of scheduler runs, and the lock that lets one scheduler act at a time."""
