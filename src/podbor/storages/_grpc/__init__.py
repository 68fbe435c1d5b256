"""The gRPC storage proxy: one server holds the storage, workers call it over the network.

``grpcio`` is imported only when a proxy or a server is made (``pip install podbor[grpc]``).
``server`` is Optuna's path of its server module (``optuna.storages._grpc.server.make_server``),
which test fixtures written for Optuna reach for.
"""

from podbor.storages._grpc import _server as server
from podbor.storages._grpc._client import GrpcStorageProxy
from podbor.storages._grpc._server import run_grpc_proxy_server

__all__ = ["GrpcStorageProxy", "run_grpc_proxy_server", "server"]
