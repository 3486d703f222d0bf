"""Chinese abstracts and titles: the engines, their fallback chain, the glossary."""
