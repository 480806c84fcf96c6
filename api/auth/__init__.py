"""Authentication: turning a bearer token into a Principal."""
