"""Authorization: the Casbin policy generated from the procedure files, and its enforcer."""
