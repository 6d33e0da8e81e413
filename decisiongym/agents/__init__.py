"""Everything that learns from interaction."""
