"""The REST proxy: a Connexion app that transcodes HTTP/JSON requests into gRPC calls."""

import warnings

# Connexion imports Starlette's test client, which warns about httpx on import; the proxy
# never uses the test client.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
