"""A rental delivers compute: the workload manifest, the tenant-signed handshake, the runtime
backends, the GPU inventory and the access server of the provider agent (docs/delivery.md)."""
