"""Read operations answered by one PostgreSQL statement that builds the whole JSON.

The way PostGraphile and Hasura read: a query document is planned once, into one SQL
statement that selects exactly the requested fields, nests lists with ``json_agg`` and
objects with ``json_build_object``, and carries the jurisdiction predicates and the
masking rules inside it; per request, Python binds the variables and the principal's
scope, and hands PostgreSQL's text through.

Only what is planned here takes this path (``fields``: the register's households,
members and units, applications with their history, the viewer and its inbox); any
other field, a directive, a value the general path would refuse, the public, or SQLite
sends the request down the general path (Strawberry), which answers it as before.
``tests/api/test_compiled_reads.py`` holds both paths to the same answers.

- ``selection``: a document's fields per runtime type, with their arguments.
- ``sql``: the statement being built: parameters, aliases, JSON expressions.
- ``fields``: how each planned field of each type becomes SQL.
- ``plans``: the plan of an operation, per principal shape, cached by document.
- ``mutations``: planned mutations (``performStage``, ``postNotice``,
  ``recordAcknowledgment``): the resolver called past Strawberry's executor, its
  arguments converted as the planned executor converts them (``api.execution.arguments``),
  its payload written as planned (``payloads``); ``tests/api/test_compiled_mutations.py``.
- ``front``: the request path in front of Strawberry.
"""
