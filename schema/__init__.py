"""The GraphQL API: the root schema, per-domain types and queries, and shared plumbing."""
