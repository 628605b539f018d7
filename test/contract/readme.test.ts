/**
 * README.md's tools and configuration tables are generated from the code (scripts/readme-tables.ts)
 * and must match it: a tool, a setting, a default or a description changed in the code fails here
 * until the README is regenerated with `npm run docs`. And every setting has a description, so
 * none can reach the README (or the operator) undocumented.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SettingsFragment } from '../../src/config/fragment.js';
import { TOOLSETS } from '../../src/tools/toolsets.js';
import { buildApp } from '../../src/app.js';
import { toMcpTool } from '../../src/server/mcp/mcp-server.js';
import { README, composedSettings, configTables, defaultCell, descriptionOf, generatedBlocks, readmeBlocks, regenerate } from '../../scripts/readme-tables.js';
import { testConfig } from '../helpers/config.js';

const readme = readFileSync(README, 'utf8');
const keysOf = (fragments: SettingsFragment[]) => fragments.flatMap((f) => Object.keys(f.shape));

describe('README tables', () => {
  const generated = generatedBlocks();
  const current = readmeBlocks(readme);

  it.each(Object.keys(generated))('block %s matches the code (npm run docs rewrites it)', (name) => {
    expect(current[name], `README.md has no <!-- generated: ${name} (npm run docs) --> block`).toBeDefined();
    expect(current[name], `README.md's ${name} table is stale: run npm run docs`).toBe(generated[name]);
  });

  it('has no generated block the code does not know, and regenerating changes nothing', () => {
    expect(Object.keys(current).sort()).toEqual(Object.keys(generated).sort());
    expect(regenerate(readme) === readme, 'README.md is stale: run npm run docs').toBe(true);
  });

  it('notices a stale table', () => {
    const edited = readme.replace('<!-- end generated -->', '| `A_NEW_SETTING` | — | by hand |\n<!-- end generated -->');
    expect(edited).not.toBe(readme);
    expect(regenerate(edited)).toBe(readme);
  });
});

describe('settings documentation', () => {
  it('documents every setting of the composed schema exactly once', () => {
    const tables = configTables();
    const documented = [...tables.settings, ...tables.backends].flatMap((row) => row.keys);
    const keys = keysOf(composedSettings());
    expect(documented.filter((k, i) => documented.indexOf(k) !== i)).toEqual([]);
    expect([...documented].sort()).toEqual([...keys].sort());
  });

  it('gives every setting a description, named instances included', () => {
    // Named instances add keys of their own (ES_EU_URL, …): they are described like the default instance's.
    const raw = { ES_INSTANCES: 'eu', OPENSEARCH_INSTANCES: 'us' };
    const fragments = [...composedSettings(), ...composedSettings(raw)];
    const undescribed = fragments.flatMap((f) => Object.entries(f.shape).filter(([, schema]) => !descriptionOf(schema)).map(([key]) => key));
    expect(undescribed, 'settings without .describe()/.meta({ description })').toEqual([]);
    expect(keysOf(composedSettings(raw))).toContain('ES_EU_URL');
  });

  it('never prints the default of a secret', () => {
    const fragments = composedSettings({ ES_INSTANCES: 'eu' });
    for (const f of fragments) {
      for (const key of f.secrets) expect(defaultCell(f.shape[key]!, true)).toMatch(/secret/);
    }
    // A secret with a default (none today) shows that it has one, never the value.
    const withDefault = z.string().default('hunter2').describe('a secret');
    expect(defaultCell(withDefault, true)).not.toContain('hunter2');
    expect(defaultCell(withDefault, false)).toBe('`hunter2`');
  });
});

describe('tools documentation', () => {
  it('lists every tool of every toolset in the README', () => {
    const blocks = readmeBlocks(readme);
    for (const tool of TOOLSETS.flatMap((s) => s.tools)) {
      expect(`${blocks.tools}\n${blocks.discovery}`).toContain(`| \`${tool.name}\` |`);
    }
  });

  it('keeps the README text out of tools/list', () => {
    const app = buildApp(testConfig({ ES_URL: 'http://127.0.0.1:9', KIBANA_URL: 'http://127.0.0.1:9', LOGSTASH_URL: 'http://127.0.0.1:9', EMBEDDED_STORE: 'on' }));
    const withReadme = TOOLSETS.flatMap((s) => s.tools).filter((t) => t.readme);
    expect(withReadme.length).toBeGreaterThan(0);
    for (const mode of ['full', 'base', 'categories'] as const) {
      const listed = app.rt.registry.listFor('elk_admin_readonly', mode);
      for (const listing of [...listed, ...listed.map(toMcpTool)]) expect(Object.keys(listing)).not.toContain('readme');
    }
  });
});
