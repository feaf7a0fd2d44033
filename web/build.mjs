// Builds the explorer and GraphiQL into the Python package (graphql_api/ui/static).
// Deterministic: no source maps, no timestamps, fixed target; the same sources and
// lock file give the same bytes, which a test checks.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, '..', 'graphql_api', 'ui', 'static');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
  absWorkingDir: here,
};

await build({ ...common, entryPoints: { explorer: 'src/main.ts' }, outdir: out });
await build({ ...common, entryPoints: { 'layout-worker': 'src/layout.worker.ts' }, outdir: out });
await build({
  ...common,
  entryPoints: { graphiql: 'src/graphiql.tsx' },
  outdir: out,
  jsx: 'automatic',
  loader: { '.woff2': 'file', '.woff': 'file', '.ttf': 'file' },
  assetNames: '[name]',
});
for (const page of ['index.html', 'graphiql.html', 'explorer.css']) {
  copyFileSync(join(here, 'src', page), join(out, page));
}
