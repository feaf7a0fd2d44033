"""The edge's middlewares, one job each, pure ASGI; `http_edge.app.edge` puts them in order."""
