// PostGraphile v5 for bench/run.py: amber with simplified inflection, read-only.
// run.py copies this file next to the cached node_modules and starts the CLI there.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import { makePgService } from "postgraphile/adaptors/pg";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
  pgServices: [
    makePgService({
      // the SELECT-only role tuopin_bench_reader (bench/postgraphile/schema.sql)
      connectionString: process.env.BENCH_PGL_DSN,
      schemas: ["public", "tuopin_pgl"],
      poolConfig: { max: 16 }, // as the floor's asyncpg pool
      pubsub: false, // no subscriptions, no LISTEN connection
    }),
  ],
  gather: { installWatchFixtures: false },
  // The role may not write: no create/update/delete fields, no mutation functions.
  schema: { defaultBehavior: "-insert -update -delete -mutationField" },
  grafast: { explain: false },
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.BENCH_PGL_PORT ?? 5678),
    graphiql: false,
    watch: false,
    websockets: false,
  },
};

export default preset;
