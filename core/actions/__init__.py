"""Every change to what runs on the platforms, as a logged before → after that can be undone."""
