"""Telling people: the digest and alert messages (pure), and their delivery through Apprise."""
