"""graphql-core's executor with planned operations: the same results, less work per field.

``PlannedExecutor`` is the executor class the schema hands to graphql-core. For an
operation that can be planned (see ``plans.plannable``) it runs the plan: plain
attributes are read and serialized without a resolve-info object or a resolver call;
Strawberry resolvers get their arguments coerced and converted once per request; every
other field calls its own resolve function as graphql-core would. Errors are located
and propagated to the nearest nullable field by graphql-core's own ``handle_field_error``.
Anything else runs on graphql-core unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, cast

from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
)
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.executor import invalid_return_type_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import convert_arguments
from strawberry.types.info import Info as StrawberryInfo

from api.execution.arguments import converter
from api.execution.completers import SYNC
from api.execution.plans import (
    UNPLANNED,
    FieldPlan,
    Mode,
    OperationPlan,
    PlanCache,
    plannable,
    root_plan,
)

PLANS = PlanCache()
Info = GraphQLResolveInfo[Any]
_IMMUTABLE = frozenset({int, float, str, bool, type(None)})
"""Types of converted argument values a plan may keep for every request: no resolver can
change them for the next request."""


class LazyInfo(StrawberryInfo[Any, Any]):
    """A resolver's ``info`` whose graphql-core resolve info is built on first use.

    A resolver of a leaf over a list (``size(year:)`` on 50 rows) mostly reads
    ``info.context``, which needs no resolve info; anything else it reads (path,
    selected fields, variables, ...) builds the very object graphql-core would pass.
    """

    def __init__(self, executor: PlannedExecutor, plan: FieldPlan, parent: Path | None) -> None:
        # Not the dataclass __init__: _raw_info is left unset until asked for, and the
        # field's path (``parent`` and the plan's key) is made only then.
        self._field = cast("Any", plan.strawberry_field)
        self._lazy = (executor, plan, parent)

    def __getattr__(self, name: str) -> Any:
        if name != "_raw_info":
            # As for a Strawberry Info: the same message, should an error show it.
            raise AttributeError(f"'Info' object has no attribute '{name}'")
        executor, plan, parent = self._lazy
        path = Path(parent, plan.key, plan.parent_type.name)
        raw = executor.build_resolve_info(plan.field_def, plan.nodes, plan.parent_type, path)
        self._raw_info = raw
        return raw

    @property
    def context(self) -> Any:
        return self._lazy[0].context_value

    @property
    def path(self) -> Path:
        # The resolve info's path, without building the rest of it (a relay id asks for
        # the path's type name).
        if "_raw_info" in self.__dict__:
            return self._raw_info.path
        _, plan, parent = self._lazy
        return Path(parent, plan.key, plan.parent_type.name)


class PlannedExecutor(StrawberryGraphQLCoreExecutionContext):
    """Runs planned operations; defers to graphql-core for the rest."""

    @classmethod
    def build(
        cls,
        schema: Any,
        document: Any,
        root_value: Any = None,
        context_value: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        # Variable coercion suggests enum values ("Did you mean ...?"); outside dev mode,
        # where introspection is off, that would describe the schema all the same.
        kwargs["hide_suggestions"] = not getattr(context_value, "introspection", False)
        return super().build(schema, document, root_value, context_value, *args, **kwargs)

    def execute_operation(self, serially: bool | None = None) -> Any:
        plan = self._plan()
        if plan is None or serially is not None:
            return super().execute_operation(serially)
        self._arguments: dict[int, dict[str, Any]] = {}
        strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
        self._config = strawberry_schema.config
        self._lazy_info = self._config.info_class is StrawberryInfo
        self._scalars = strawberry_schema.schema_converter.scalar_registry
        try:
            if plan.serial:
                data = self._serially(plan)
            else:
                data = self.execute_plans(plan.root_type, plan.fields, self.root_value, None)
            if self.is_awaitable(data):
                return self._respond_later(data)
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.finish(self.build_response(None))
        return self.finish(self.build_response(cast("dict[str, Any]", data)))

    async def _respond_later(self, data: Awaitable[dict[str, Any]]) -> ExecutionResult:
        try:
            resolved = await data
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return cast("ExecutionResult", self.build_response(None))
        return cast("ExecutionResult", self.build_response(resolved))

    def _plan(self) -> OperationPlan | None:
        if not getattr(self.context_value, "planned", True):
            return None  # the reference path: graphql-core alone
        middleware = self.middleware_manager
        if (middleware is not None and middleware.middlewares) or not self.error_propagation:
            return None  # field middleware wraps every resolver: graphql-core's path
        known, plan = PLANS.get(self.schema, self.operation)
        if known:
            return plan
        plan = None
        root_type = self.schema.get_root_type(self.operation.operation)
        if root_type is not None and self._document_plannable():
            grouped, _, _ = collect_fields(
                self.schema, self.fragments, self.variable_values, root_type, self.operation
            )
            plan = root_plan(self.schema, self.operation, root_type, grouped)
        PLANS.put(self.schema, self.operation, plan)
        return plan

    def _document_plannable(self) -> bool:
        if not plannable(self.operation):
            return False
        return all(plannable(f) for f in self.fragment_definitions.values())

    # ------------------------------------------------------------------ fields

    def _serially(self, plan: OperationPlan) -> Any:
        results: dict[str, Any] = {}
        fields = iter(plan.fields)

        def run_from(here: FieldPlan | None) -> Any:
            while here is not None:
                value = self.execute_plan(plan.root_type, here, self.root_value, None)
                if self.is_awaitable(value):
                    return continue_after(here, value)
                results[here.key] = value
                here = next(fields, None)
            return results

        async def continue_after(here: FieldPlan, value: Awaitable[Any]) -> Any:
            results[here.key] = await value
            rest = run_from(next(fields, None))
            return await rest if self.is_awaitable(rest) else rest

        return run_from(next(fields, None))

    def execute_plans(
        self,
        parent_type: GraphQLObjectType,
        plans: list[FieldPlan],
        source: Any,
        path: Path | None,
    ) -> Any:
        results: dict[str, Any] = {}
        waiting: list[str] = []
        try:
            for plan in plans:
                mode = plan.mode
                if mode is Mode.LEAF_ATTRIBUTE:
                    results[plan.key] = self._leaf_attribute(parent_type, plan, source, path)
                elif plan.quick:
                    value = self._leaf_resolver(plan, source, path)
                    results[plan.key] = value
                    if type(value) not in SYNC and self.is_awaitable(value):
                        waiting.append(plan.key)
                elif mode is Mode.TYPENAME:
                    results[plan.key] = parent_type.name
                else:
                    value = self.execute_plan(parent_type, plan, source, path)
                    results[plan.key] = value
                    if type(value) not in SYNC and self.is_awaitable(value):
                        waiting.append(plan.key)
        except Exception:
            if waiting:
                self.settle_in_background([results[key] for key in waiting])
            raise
        if not waiting:
            return results

        async def gathered() -> dict[str, Any]:
            if len(waiting) == 1:
                results[waiting[0]] = await results[waiting[0]]
            else:
                values = await gather_with_cancel(*(results[key] for key in waiting))
                results.update(zip(waiting, values, strict=True))
            return results

        return gathered()

    def _leaf_attribute(
        self, parent_type: GraphQLObjectType, plan: FieldPlan, source: Any, path: Path | None
    ) -> Any:
        try:
            value = getattr(source, plan.attribute)
            if value is None:
                if plan.non_null:
                    msg = f"Cannot return null for non-nullable field {parent_type}.{plan.name}."
                    raise TypeError(msg)
                return None
            assert plan.serialize is not None
            return plan.serialize(value)
        except Exception as raw:
            here = Path(path, plan.key, parent_type.name)
            self.handle_field_error(raw, plan.return_type, plan.details, here)
            return None

    def _leaf_resolver(self, plan: FieldPlan, source: Any, path: Path | None) -> Any:
        """``execute_plan`` for a ``quick`` plan: a resolver of a leaf whose arguments are
        the same for every request, given a LazyInfo; the field's path is made only for
        an error or an awaitable result."""
        assert plan.call is not None
        assert plan.constant_arguments is not None
        try:
            kwargs = dict(plan.constant_arguments)
            for name in plan.source_names:
                kwargs[name] = source
            if plan.info_name is not None:
                kwargs[plan.info_name] = LazyInfo(self, plan, path)
            result = plan.call(source, **kwargs) if plan.passes_self else plan.call(**kwargs)
            if type(result) in SYNC or not self.is_awaitable(result):
                if result is None or result is Undefined or isinstance(result, Exception):
                    here = Path(path, plan.key, plan.parent_type.name)
                    return plan.completer.complete(self, plan, None, here, result)
                assert plan.serialize is not None
                return plan.serialize(result)
        except Exception as raw:
            here = Path(path, plan.key, plan.parent_type.name)
            self.handle_field_error(raw, plan.return_type, plan.details, here)
            return None
        return self._complete_later(plan, None, Path(path, plan.key, plan.parent_type.name), result)

    def execute_plan(
        self, parent_type: GraphQLObjectType, plan: FieldPlan, source: Any, path: Path | None
    ) -> Any:
        here = Path(path, plan.key, parent_type.name)
        info: Info | None = None
        mode = plan.mode
        if not plan.info_free or (mode is Mode.RESOLVER and not self._lazy_info):
            info = self.build_resolve_info(plan.field_def, plan.nodes, parent_type, here)
        # Otherwise nothing reads it: a resolver gets a LazyInfo, which builds it if read.
        try:
            if mode is Mode.ATTRIBUTE:
                result = getattr(source, plan.attribute)
            elif mode is Mode.RESOLVER:
                result = self._call_resolver(plan, source, info, here)
            elif mode is Mode.TYPENAME:
                result = parent_type.name
            else:
                assert info is not None
                resolve = plan.field_def.resolve or self.field_resolver
                result = resolve(source, info, **self._coerced(plan))
            if type(result) not in SYNC and self.is_awaitable(result):
                return self._complete_later(plan, info, here, result)
            if result is None or result is Undefined or isinstance(result, Exception):
                completed = plan.completer.complete(self, plan, info, here, result)
            elif plan.serialize is not None:  # a leaf: what NonNull and Leaf would give
                completed = plan.serialize(result)
            elif plan.object_type is not None:  # an object: what NonNull and Object would
                completed = self.complete_object(plan.object_type, plan, info, here, result)
            else:
                completed = plan.completer.complete(self, plan, info, here, result)
            if type(completed) not in SYNC and self.is_awaitable(completed):
                return self._guard(plan, here, completed)
        except Exception as raw:
            self.handle_field_error(raw, plan.return_type, plan.details, here)
            return None
        return completed

    async def _complete_later(
        self, plan: FieldPlan, info: Info | None, path: Path, result: Awaitable[Any]
    ) -> Any:
        try:
            completed = plan.completer.complete(self, plan, info, path, await result)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw:
            self.handle_field_error(raw, plan.return_type, plan.details, path)
            return None
        return completed

    async def _guard(self, plan: FieldPlan, path: Path, completed: Awaitable[Any]) -> Any:
        try:
            return await completed
        except Exception as raw:
            self.handle_field_error(raw, plan.return_type, plan.details, path)
            return None

    # --------------------------------------------------------------- arguments

    def _coerced(self, plan: FieldPlan) -> dict[str, Any]:
        if not plan.has_arguments:
            return {}
        return get_argument_values(
            plan.field_def,
            plan.nodes[0],
            self.variable_values,
            plan.details[0].fragment_variable_values,
            self.hide_suggestions,
        )

    def _call_resolver(self, plan: FieldPlan, source: Any, info: Info | None, path: Path) -> Any:
        field = plan.strawberry_field
        assert field is not None
        assert plan.call is not None
        strawberry_info: StrawberryInfo[Any, Any] | None = None
        if info is not None:
            strawberry_info = self._config.info_class(_raw_info=info, _field=field)
        converted = plan.constant_arguments
        if converted is None:
            converted = self._arguments.get(id(plan))
        if converted is None:
            if plan.arguments is UNPLANNED:
                plan.arguments = converter(field, self._config, self._scalars)
            if plan.arguments is not None:
                converted = plan.arguments(self._coerced(plan))
            else:
                if strawberry_info is None:
                    strawberry_info = LazyInfo(self, plan, path.prev)
                converted = convert_arguments(
                    self._coerced(plan),
                    field.arguments,
                    scalar_registry=self._scalars,
                    config=self._config,
                    info=strawberry_info,
                )
            self._arguments[id(plan)] = converted
            if plan.literal_arguments and all(type(v) in _IMMUTABLE for v in converted.values()):
                plan.constant_arguments = converted  # the same for every request
                # A leaf's resolver given a LazyInfo: called straight from execute_plans.
                plan.quick = plan.serialize is not None and self._lazy_info
        kwargs = dict(converted)
        for name in plan.source_names:
            kwargs[name] = source
        if plan.info_name is not None:
            if strawberry_info is None:
                strawberry_info = LazyInfo(self, plan, path.prev)
            kwargs[plan.info_name] = strawberry_info
        if plan.passes_self:
            return plan.call(source, **kwargs)
        return plan.call(**kwargs)

    # -------------------------------------------------------------- completion

    def complete_object(
        self,
        runtime_type: GraphQLObjectType,
        plan: FieldPlan,
        info: Info | None,
        path: Path,
        result: Any,
    ) -> Any:
        if runtime_type.is_type_of:
            # None only where the check ignores it (plans._info_free).
            matches = runtime_type.is_type_of(result, info)  # type: ignore[arg-type]
            if type(matches) is not bool and self.is_awaitable(matches):

                async def later() -> Any:
                    if not await matches:
                        raise invalid_return_type_error(runtime_type, result, plan.details)
                    value = self._sub_fields(runtime_type, plan, path, result)
                    return await value if self.is_awaitable(value) else value

                return later()
            if not matches:
                raise invalid_return_type_error(runtime_type, result, plan.details)
        children = plan.children.get(runtime_type.name)
        if children is None:
            return self._sub_fields(runtime_type, plan, path, result)
        return self.execute_plans(runtime_type, children, result, path)

    def _sub_fields(
        self, runtime_type: GraphQLObjectType, plan: FieldPlan, path: Path, result: Any
    ) -> Any:
        children = plan.children.get(runtime_type.name)
        if children is None:
            from api.execution.plans import field_plans

            grouped = self._collect(runtime_type, plan.details)
            children = plan.children[runtime_type.name] = field_plans(
                self.schema, runtime_type, grouped
            )
        return self.execute_plans(runtime_type, children, result, path)

    def _collect(
        self, runtime_type: GraphQLObjectType, details: list[FieldDetails]
    ) -> dict[str, list[FieldDetails]]:
        grouped, _, _ = collect_subfields(
            self.schema,
            self.fragments,
            self.variable_values,
            self.operation,
            runtime_type,
            details,
            self.hide_suggestions,
        )
        return grouped
