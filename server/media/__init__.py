"""Uploaded photos: validated, cleaned of metadata, resized and stored by content."""
