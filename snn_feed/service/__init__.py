"""Running and reporting: the scheduler, status and the Atom feed."""
