import { configDefaults, defineConfig } from 'vitest/config';

// Three tiers (vitest projects). unit and contract hold no shared state (no engine, no port, no
// fixed path), so their files run in parallel. The engine tier (integration, e2e, security) shares
// the real engines of scripts/test-env.sh and asserts cluster-wide answers (health, index lists,
// nodes), so its files run one at a time, after the parallel tiers: a CPU-bound unit file beside
// them would eat into the deadlines and timeouts those suites exercise.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The machine has 2 cores and also runs the engines' JVMs.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'contract', include: ['test/contract/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: {
          name: 'engines',
          // Every other test file lands here, so none can fall outside a tier and go unrun.
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/unit/**', 'test/contract/**'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
