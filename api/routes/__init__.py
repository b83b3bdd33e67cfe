"""HTTP routers of the Bukti API, one module per audience."""
