// Validates every GraphQL document the explorer sends against an SDL file (the API's
// exported schema); prints {"name": [errors]} as JSON. Used by a test.
import { build } from 'esbuild';
import { buildSchema, parse, validate } from 'graphql';
import { readFileSync } from 'node:fs';

const out = await build({ entryPoints: ['src/queries.ts'], bundle: true, format: 'esm', write: false, platform: 'node', logLevel: 'warning' });
const q = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
const schema = buildSchema(readFileSync(process.argv[2], 'utf8'));
// "section5": documents that need the lineage questions of docs/reference/questions.md
// (asOf, impact, runDiff, fields, parent)
const documents = {
  lineage: [q.lineageQuery(false), false],
  run: [q.runDetailsQuery(false, false), false],
  dobject: [q.dobjectDetailsQuery(false, false), false],
  candidates: [q.RUN_CANDIDATES, false],
  search: [q.searchQuery(false), false],
  searchById: [q.searchQuery(true), false],
  searchIndex: [q.SEARCH_INDEX, false],
  events: [q.EVENTS, false],
  lineageAsOf: [q.lineageQuery(true), true],
  runFull: [q.runDetailsQuery(true, true), true],
  dobjectFull: [q.dobjectDetailsQuery(true, true), true],
  impact: [q.impactQuery(true), true],
  runDiff: [q.RUN_DIFF, true],
};
const result = {};
for (const [name, [doc, section5]] of Object.entries(documents)) {
  result[name] = { section5, errors: validate(schema, parse(doc)).map((e) => e.message) };
}
console.log(JSON.stringify(result));
