"""The HTTP edge: the ASGI app that puts the two faces, the GraphQL API (graphql_api) and
OpenLineage in and the Marquez-shaped read (openlineage_api), behind one set of small
middlewares (start-up, open paths, tokens, rate limits, WebSockets, scopes, content
encoding, body limits), composed in `http_edge.app`. Neither face imports the other or
this package: each says what it needs of the process's resources, and this package opens
them (`resources.py`)."""
