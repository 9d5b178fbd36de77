"""GraphQL plumbing shared by every domain: errors, pagination, IDs, selections, the view."""
