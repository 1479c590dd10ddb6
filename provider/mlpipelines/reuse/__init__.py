"""Step reuse: keys from what a step is and reads, manifests of what it produced."""
