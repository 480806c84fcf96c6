"""Pure domain logic: no framework, no database. Everything here is unit-tested."""
