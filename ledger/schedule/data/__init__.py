"""Schedule documents shipped with Bukti (package data)."""
