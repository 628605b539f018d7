// Lint enforces the layering of DESIGN.md (house rule 4) from one table: what each src/ folder
// may import, src folders and packages alike. Anything not in a folder's row is an error, so an
// arrow back up (core reaching security, store reaching backends, …) fails lint the day it is
// written, and a new src/ folder fails until it gets its row.
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';

/** Node built-ins that do I/O; pure folders (analysis, ingest) may use every other built-in. */
const IO_BUILTINS = ['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'tls', 'dgram', 'child_process', 'worker_threads', 'cluster'];

/**
 * The table. `src`: the rows a folder may import (its own is always allowed); `types`: rows it may
 * import types from, never values; `packages`: the npm packages it may import; `io`: whether it may
 * use the I/O built-ins (every other node: built-in is allowed). A file belongs to the first row
 * whose folder holds it (src/server/mcp before src/server); `app` is the files directly in src/.
 */
const LAYERS = {
  // errors, logger, time: the bottom layer, imports nothing of telemcp
  core: { path: 'src/core', src: [], packages: ['pino'], io: true },
  // one frozen schema, read once at start-up
  config: { path: 'src/config', src: ['core'], packages: ['zod', 'yaml'], io: true },
  telemetry: { path: 'src/telemetry', src: ['core'], packages: ['prom-client'], io: false },
  // keys, roles, guards, redaction, audit
  security: { path: 'src/security', src: ['core', 'config'], packages: [], io: true },
  // pure functions: findings in, findings out, testable without any server or backend
  analysis: { path: 'src/analysis', src: ['core'], packages: [], io: false },
  // pure parsers: bytes in, records out; the HTTP layer, the CLI and the store do the I/O
  ingest: { path: 'src/ingest', src: ['core', 'analysis'], packages: ['protobufjs', 'snappyjs'], io: false },
  // the embedded store, below the backend that serves it
  store: { path: 'src/store', src: ['core', 'config', 'security', 'analysis', 'ingest'], packages: ['better-sqlite3'], io: true },
  backends: { path: 'src/backends', src: ['core', 'config', 'security', 'telemetry', 'analysis', 'store'], packages: ['undici', 'zod', 'yaml', '@prometheus-io/lezer-promql', '@lezer/common'], io: true },
  // demo data, and telemcp's one write path to a backend (es-writer, see below)
  seed: { path: 'src/seed', src: ['core', 'config', 'security', 'ingest', 'backends'], packages: ['undici'], io: true },
  // tool declarations, the registry and the one pipeline
  tools: { path: 'src/tools', src: ['core', 'config', 'security', 'telemetry', 'analysis', 'backends', 'store'], packages: ['zod', 'lru-cache'], io: true },
  // front doors call tools through invokeTool, never a backend (its types only); only server/mcp speaks MCP
  'server-mcp': { path: 'src/server/mcp', src: ['core', 'config', 'security', 'telemetry', 'tools', 'app', 'server'], types: ['backends'], packages: ['@modelcontextprotocol/sdk', 'fastify', 'zod'], io: true },
  server: { path: 'src/server', src: ['core', 'config', 'security', 'telemetry', 'tools', 'app', 'ingest', 'store', 'server-mcp'], types: ['backends'], packages: ['fastify', 'zod'], io: true },
  cli: { path: 'src/cli', src: ['core', 'config', 'security', 'telemetry', 'analysis', 'ingest', 'store', 'seed', 'tools', 'app', 'server', 'server-mcp'], types: ['backends'], packages: ['zod'], io: true },
  // the composition root: config → backends → store → registry; no front door
  app: { files: 'src/*.ts', src: ['core', 'config', 'security', 'telemetry', 'backends', 'store', 'tools'], packages: [], io: true },
};


/** How a policy names a row: a folder is an element of the plugin; app.ts is a file. */
const selectorOf = (name) => (LAYERS[name].files ? { file: { path: LAYERS[name].files } } : { element: { type: name } });
/** One selector for several rows: the folders by element type, app.ts by its path. */
const targetsOf = (names) => {
  const folders = names.filter((n) => !LAYERS[n].files);
  const files = names.filter((n) => LAYERS[n].files).map(selectorOf);
  return folders.length ? [{ element: { types: { anyOf: folders } } }, ...files] : files;
};
const packageNames = (names) => names.flatMap((n) => [n, `${n}/**`]);

/** The one rule generator: allow policies from each row of the table, the default is disallow. */
function layeringPolicies() {
  const policies = [];
  for (const [name, layer] of Object.entries(LAYERS)) {
    const from = selectorOf(name);
    policies.push({ from, allow: { to: targetsOf([name, ...layer.src]) } });
    if (layer.types) policies.push({ from, allow: { to: targetsOf(layer.types), dependency: { kind: 'type' } } });
    if (layer.packages.length) policies.push({ from, allow: { to: { module: { origin: 'external', source: packageNames(layer.packages) } } } });
    const builtins = { origin: 'core' };
    if (!layer.io) builtins.source = `!{${IO_BUILTINS.flatMap((b) => [b, `node:${b}`]).join(',')}}`;
    policies.push({ from, allow: { to: { module: builtins } } });
  }
  // The seed writer is telemcp's only write path to a backend: only the seed command may reach it.
  policies.push({ from: { file: { path: '!src/cli/seed.ts' } }, disallow: { to: { file: { path: 'src/seed/es-writer.ts' } } }, message: 'Only the seed command (src/cli/seed.ts) may import the write path.' });
  // Tools read: they get the embedded store's read-only view (STORE_READER), never the service that
  // owns its writer thread, the writer, or a connection of their own that could write.
  policies.push({
    from: { file: { path: 'src/tools/**' } },
    disallow: { to: { file: { path: 'src/{backends/embedded/service,store/{writer,writer-thread,log-store,connection,write}}.ts' } } },
    message: 'Tools read the embedded store through STORE_READER; its writer is for the composition root, the CLI and HTTP ingest.',
  });
  return policies;
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/conformance/node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': Object.entries(LAYERS)
        .filter(([, layer]) => layer.path)
        .map(([type, layer]) => ({ type, pattern: layer.path, partialMatch: false, exclusive: true })),
      'boundaries/files': [{ category: 'app', pattern: LAYERS.app.files }],
      'boundaries/include': ['src/**/*.ts'],
      // Imports name the compiled .js file; the TypeScript resolver maps them to the .ts source.
      'import/resolver': { typescript: { project: 'tsconfig.json' } },
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', checkAllOrigins: true, checkUnknownLocals: true, policies: layeringPolicies() }],
      // A file in no row of the table (a new src/ folder) fails until the table says what it may import.
      'boundaries/no-unknown-files': 'error',
    },
  },
);
