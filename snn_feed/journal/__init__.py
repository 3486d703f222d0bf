"""The Markdown log: read, rendered, inserted into, archived and committed."""
