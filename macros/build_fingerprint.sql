{#- A changed setting rebuilds what it changes.

    An incremental model computes only the rows of new data; rows it built before keep the vars and seeds of
    the night they were built. So each incremental model records, after every build, a fingerprint of its
    inputs that are not data: the values of the vars its SQL reads (in its own code, in its ancestors' code,
    and in the project macros they call) and the checksums of the seeds among its ancestors. The run vars in
    `build_fingerprint_run_vars` (the reporting day) are left out: they change every night by design.

    `should_full_refresh()` below replaces dbt's (root-project macros take precedence over the built-in
    ones; `is_incremental()` and the incremental materializations of dbt-duckdb, dbt-postgres and dbt-spark
    all call it): besides `--full-refresh` and the `full_refresh` config, it answers true when the model's
    fingerprint differs from the one recorded at its last build, or none is recorded. The records live in
    `build_state.model_fingerprints` (append-only, the newest row per model counts: Spark's Parquet tables
    take no DELETE), written by the post-hook `record_build_fingerprint()` set in dbt_project.yml. -#}

{% macro build_fingerprint_run_vars() %}
    {{ return(['as_of_date']) }}
{% endmacro %}


{% macro build_fingerprint_relation() %}
    {{ return(api.Relation.create(
        database=(this.database if target.type != 'spark' else none),
        schema='build_state',
        identifier='model_fingerprints',
        type='table'
    )) }}
{% endmacro %}


{#- The vars a piece of Jinja-SQL reads by name: var('name') or var("name"). -#}
{% macro _vars_read_by(code) %}
    {{ return(modules.re.findall("var\(\s*['\"]([A-Za-z0-9_]+)['\"]", code or '')) }}
{% endmacro %}


{% macro build_fingerprint(node=none) %}
    {%- set node = node or model -%}
    {%- set project_macros = context[project_name] -%}
    {%- set state = namespace(frontier=[node.unique_id], seen=[node.unique_id], macros=[], code=[], seeds=[]) -%}
    {#- Ancestors, breadth first (a DAG is at most as deep as it has nodes; 100 levels is far more). -#}
    {%- for _ in range(100) if state.frontier -%}
        {%- set next_frontier = [] -%}
        {%- for unique_id in state.frontier -%}
            {%- set current = node if unique_id == node.unique_id else graph.nodes.get(unique_id) -%}
            {%- if current is not none -%}
                {%- if current.resource_type == 'seed' -%}
                    {%- do state.seeds.append(unique_id ~ '=' ~ current.checksum.checksum) -%}
                {%- endif -%}
                {%- do state.code.append(current.raw_code or '') -%}
                {%- do state.macros.extend(current.depends_on.macros or []) -%}
                {%- for parent in current.depends_on.nodes or [] -%}
                    {%- if parent not in state.seen -%}
                        {%- do state.seen.append(parent) -%}
                        {%- do next_frontier.append(parent) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set state.frontier = next_frontier -%}
    {%- endfor -%}
    {#- The project's macros those nodes call, and the project macros these call in turn. -#}
    {%- set macro_state = namespace(frontier=state.macros, seen=[]) -%}
    {%- for _ in range(100) if macro_state.frontier -%}
        {%- set next_frontier = [] -%}
        {%- for macro_id in macro_state.frontier -%}
            {%- set parts = macro_id.split('.') -%}
            {%- if macro_id not in macro_state.seen and parts[1] == project_name and parts[2] in project_macros -%}
                {%- do macro_state.seen.append(macro_id) -%}
                {%- set found = project_macros[parts[2]].macro -%}
                {%- do state.code.append(found.macro_sql) -%}
                {%- do next_frontier.extend(found.depends_on.macros or []) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set macro_state.frontier = next_frontier -%}
    {%- endfor -%}
    {%- set names = [] -%}
    {%- for code in state.code -%}
        {%- for name in _vars_read_by(code) -%}
            {%- if name not in names and name not in build_fingerprint_run_vars() -%}
                {%- do names.append(name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set items = [] -%}
    {%- for name in names | sort -%}
        {%- do items.append('var:' ~ name ~ '=' ~ tojson(var(name, none))) -%}
    {%- endfor -%}
    {%- for seed in state.seeds | sort -%}
        {%- do items.append('seed:' ~ seed) -%}
    {%- endfor -%}
    {{ return(local_md5(items | join('\n'))) }}
{% endmacro %}


{#- The fingerprint recorded at the model's last build; none when there is none. -#}
{% macro recorded_build_fingerprint() %}
    {%- set relation = build_fingerprint_relation() -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rows = run_query(
        "select fingerprint from " ~ relation ~ " where model_id = '" ~ model.unique_id ~ "'"
        ~ " order by built_at desc limit 1"
    ).rows -%}
    {{ return(rows[0][0] if rows | length > 0 else none) }}
{% endmacro %}


{% macro should_full_refresh() %}
    {%- set configured = config.get('full_refresh') -%}
    {%- if configured is not none -%}
        {{ return(configured) }}
    {%- endif -%}
    {%- if flags.FULL_REFRESH -%}
        {{ return(true) }}
    {%- endif -%}
    {%- if execute and model.resource_type == 'model' and config.get('materialized') == 'incremental' -%}
        {#- Decided once per model and invocation: the model's SQL (each is_incremental()) and the
            materialization ask several times. `graph` is the invocation's one graph, shared by every node. -#}
        {%- set decisions = graph.setdefault('build_fingerprint_decisions', {}) -%}
        {%- set key = invocation_id ~ ':' ~ model.unique_id -%}
        {%- if key not in decisions -%}
            {%- set recorded = recorded_build_fingerprint() -%}
            {%- set changed = recorded != build_fingerprint() -%}
            {{ log(model.name ~ ": a var or seed it reads changed since its last build: rebuilt in full", info=true) if changed and recorded is not none }}
            {%- do decisions.update({key: changed}) -%}
        {%- endif -%}
        {{ return(decisions[key]) }}
    {%- endif -%}
    {{ return(false) }}
{% endmacro %}


{#- Post-hook of every model (dbt_project.yml); records the fingerprint of incremental models. -#}
{% macro record_build_fingerprint() %}
    {%- if not execute or model.resource_type != 'model' or config.get('materialized') != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set relation = build_fingerprint_relation() -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {#- not adapter.create_schema: on PostgreSQL it commits, ending the model's transaction mid-hook -#}
        {%- do run_query("create schema if not exists " ~ adapter.quote(relation.schema)) -%}
        {%- do run_query(
            "create table if not exists " ~ relation ~ " (model_id " ~ dbt.type_string() ~ ", fingerprint "
            ~ dbt.type_string() ~ ", built_at " ~ dbt.type_timestamp() ~ ")"
        ) -%}
    {%- endif -%}
    {%- do run_query(
        "insert into " ~ relation ~ " (model_id, fingerprint, built_at) values ('" ~ model.unique_id ~ "', '"
        ~ build_fingerprint() ~ "', " ~ dbt.current_timestamp() ~ ")"
    ) -%}
    {{ return('') }}
{% endmacro %}
