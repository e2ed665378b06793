"""Access: classification levels, principals, roles, users and the guard that enforces them."""
