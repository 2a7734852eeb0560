"""Text routing for Suara: from a complaint's words to its category, agency, emergency lane, area and duplicates."""
