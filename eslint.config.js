// Lint enforces the layering of DESIGN.md (house rule 4): only src/server/mcp speaks the
// MCP SDK, front doors never reach into backends, and core stays dependency-free.
import tseslint from 'typescript-eslint';

const sdk = { group: ['@modelcontextprotocol/sdk', '@modelcontextprotocol/sdk/*'], message: 'Only src/server/mcp imports the MCP SDK.' };
const backends = { group: ['**/backends/*', '**/backends/**'], allowTypeImports: true, message: 'Front doors call tools through invokeTool, never backends.' };
const fastify = { group: ['fastify'], message: 'Only src/server imports fastify.' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/conformance/node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/**/*.ts'], ignores: ['src/server/mcp/**'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [sdk] }] } },
  { files: ['src/server/**/*.ts', 'src/cli/**/*.ts'], ignores: ['src/server/mcp/**'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [sdk, backends] }] } },
  { files: ['src/server/mcp/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [backends] }] } },
  { files: ['src/tools/**/*.ts', 'src/backends/**/*.ts', 'src/security/**/*.ts', 'src/core/**/*.ts', 'src/config/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [sdk, fastify] }] } },
  // analysis/ is pure: findings in, findings out, testable without any server or backend.
  {
    files: ['src/analysis/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            sdk,
            fastify,
            { group: ['**/backends/**', '**/server/**', '**/tools/**', '**/cli/**', '**/seed/**', 'undici', 'node:fs', 'node:net', 'node:http', 'node:https', 'node:child_process', 'fs', 'net', 'http', 'https'], message: 'src/analysis is pure: no I/O, no backends, servers or tools.' },
          ],
        },
      ],
    },
  },
  // ingest/ is pure too: bytes and lines in, records out; the HTTP layer, the CLI and the store do the I/O.
  {
    files: ['src/ingest/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            sdk,
            fastify,
            { group: ['**/backends/**', '!**/backends/log-levels.js', '**/server/**', '**/tools/**', '**/cli/**', '**/store/**', '**/seed/**', 'undici', 'node:fs', 'node:net', 'node:http', 'node:https', 'node:child_process', 'fs', 'net', 'http', 'https'], message: 'src/ingest is pure: parsers only, no I/O, no store, servers or backends (log-levels excepted).' },
          ],
        },
      ],
    },
  },
  // The seed writer is telemcp's only write path to a backend: nothing that serves tools may reach it.
  // (A separate rule name, so it adds to the per-folder restrictions above instead of replacing them.)
  {
    files: ['src/tools/**/*.ts', 'src/server/**/*.ts', 'src/backends/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/seed/es-writer', '**/seed/es-writer.js'], message: 'Only the seed command (src/cli/seed.ts) may import the write path.' }] }] },
  },
);
