"""One operator per step kind."""
