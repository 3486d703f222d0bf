"""The sync and its stages, and the commands composed of them."""
