"""Pure domain core: entities and rules, no I/O and no framework."""
