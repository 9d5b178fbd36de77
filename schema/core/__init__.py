"""API building blocks shared by every domain: the base mutation, pagination, IDs, inputs,
selections, argument validation and languages."""
