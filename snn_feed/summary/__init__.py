"""Summaries (`[summary]`): what the model is asked and what of its answer is kept
(`answer`), and the client that asks it (`client`)."""
