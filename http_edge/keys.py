"""Where the edge's middlewares leave what they found, for the ones after them."""

from __future__ import annotations

from typing import Final

# scope key: True when the request is for an open path (no token, no rate limit)
OPEN_KEY: Final = "lineage.open"
# scope key: the Principal of the request's token, None without a valid one
PRINCIPAL_KEY: Final = "lineage.principal"
# app.state attribute holding the TokenRegistry, once the lifespan has opened it
TOKENS_STATE: Final = "tokens"
