"""Where papers come from: the arXiv search API, the announcement feed, code links."""
