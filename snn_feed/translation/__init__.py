"""Chinese abstracts: the engines, their fallback chain, the glossary."""
