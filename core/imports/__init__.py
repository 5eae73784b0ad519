"""CSV import of platform exports: `reading` parses files, `service` is the use case every door calls."""
