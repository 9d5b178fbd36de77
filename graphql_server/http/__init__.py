"""GraphQL over HTTP: the view (``view``), the specification's rules (``protocol``) and
automatic persisted queries (``persisted_queries``)."""
