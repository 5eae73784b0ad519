"""Cross-platform campaigns: create, edit, status, platforms and their budget split."""
