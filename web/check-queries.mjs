// Validates every GraphQL document the explorer sends against an SDL file (the API's
// exported schema); prints {"name": [errors]} as JSON. Used by a test.
import { build } from 'esbuild';
import { buildSchema, parse, validate } from 'graphql';
import { readFileSync } from 'node:fs';

const out = await build({ entryPoints: ['src/queries.ts'], bundle: true, format: 'esm', write: false, platform: 'node', logLevel: 'warning' });
const q = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
const schema = buildSchema(readFileSync(process.argv[2], 'utf8'));
// each document with what it needs: "base"; "section5", the lineage questions of
// docs/reference/questions.md (asOf, impact, runDiff, fields, parent); "versions",
// docs/reference/versions.md; "watches", lineageChanges of docs/reference/watches.md
const documents = {
  lineage: [q.lineageQuery({ asOf: false, versions: false }), 'base'],
  run: [q.runDetailsQuery(false, false), 'base'],
  dobject: [q.dobjectDetailsQuery(false, false), 'base'],
  candidates: [q.RUN_CANDIDATES, 'base'],
  search: [q.searchQuery(false), 'base'],
  searchById: [q.searchQuery(true), 'base'],
  searchIndex: [q.SEARCH_INDEX, 'base'],
  events: [q.EVENTS, 'base'],
  lineageAsOf: [q.lineageQuery({ asOf: true, versions: false }), 'section5'],
  runFull: [q.runDetailsQuery(true, true), 'section5'],
  dobjectFull: [q.dobjectDetailsQuery(true, true), 'section5'],
  impact: [q.impactQuery(true), 'section5'],
  runDiff: [q.RUN_DIFF, 'section5'],
  lineageVersions: [q.lineageQuery({ asOf: true, versions: true }), 'versions'],
  lineageByVersion: [q.lineageQuery({ asOf: true, versions: true, byVersion: true }), 'versions'],
  dobjectVersions: [q.dobjectVersionsQuery(true), 'versions'],
  runVersions: [q.runVersionsQuery(true), 'versions'],
  version: [q.VERSION_DETAILS, 'versions'],
  watch: [q.watchQuery(false), 'watches'],
  watchVersions: [q.watchQuery(true), 'versions'],
  watchesAdmin: [q.WATCHES, 'watchAdmin'],
  watchDeliveries: [q.WATCH_DELIVERIES, 'watchAdmin'],
};
const result = {};
for (const [name, [doc, needs]] of Object.entries(documents)) {
  result[name] = { needs, errors: validate(schema, parse(doc)).map((e) => e.message) };
}
console.log(JSON.stringify(result));
