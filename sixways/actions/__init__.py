"""Action plans: what a partnership decides to do about its priorities, and what came of it."""
