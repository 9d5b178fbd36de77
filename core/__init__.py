"""Domain-level helpers shared by the apps: languages and translated fields. No GraphQL here."""
