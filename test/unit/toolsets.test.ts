/**
 * Toolset manifests (src/tools/toolsets.ts): what a toolset serves follows from its tools'
 * requirements and the configured backends, tools built at start-up included, and the registry
 * serves exactly that.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Backends } from '../../src/backends/backends.js';
import { capability, type BackendInstance } from '../../src/backends/module.js';
import { ToolRegistry } from '../../src/tools/registry.js';
import { defineTool, type AnyTool } from '../../src/tools/tool.js';
import { manifest } from '../../src/tools/toolsets.js';

const CLUSTER = capability<{ name: string }>('test-cluster');
const METRICS = capability<{ name: string }>('test-metrics');

function tool(name: string, requires?: AnyTool['requires']): AnyTool {
  return defineTool({
    name,
    title: name,
    description: `test tool ${name}`,
    toolset: 'test',
    leastRole: 'elk_viewer',
    ...(requires ? { requires } : {}),
    input: z.object({}).strict(),
    output: z.object({ from: z.string() }),
    handler: async () => ({ from: name }),
  });
}

function backends(...instances: [string, typeof CLUSTER][]): Backends {
  const modules = [
    { kind: 'cluster', description: 'a cluster', provides: [CLUSTER], enable: 'set CLUSTER_URL' },
    { kind: 'metrics', description: 'a metric store', provides: [METRICS], enable: 'set METRICS_URL' },
  ];
  const built = instances.map(([name, key]): BackendInstance => ({ kind: name, name, provides: new Map([[key, { name }]]), close: () => {} }));
  return new Backends(built, modules);
}

describe('toolset manifests', () => {
  const set = manifest({ name: 'ops', description: 'ops tools', tools: [tool('ops_always'), tool('ops_cluster', [CLUSTER]), tool('ops_metrics', [METRICS])] });

  it('serves the tools whose requirements are met, and says what the others need', () => {
    const a = set.availability(backends(['c1', CLUSTER]));
    expect(a.tools.map((t) => t.name)).toEqual(['ops_always', 'ops_cluster']);
    expect(a.hidden).toBeUndefined();
    expect(a.partial).toBe('ops_always, ops_cluster served; ops_metrics need more: set METRICS_URL');
  });

  it('is hidden when no tool can be served, with how to enable each kind of tool', () => {
    const only = manifest({ name: 'needy', description: 'needs backends', tools: [tool('needy_cluster', [CLUSTER]), tool('needy_metrics', [METRICS])] });
    expect(only.availability(backends())).toEqual({ tools: [], hidden: 'set CLUSTER_URL or set METRICS_URL to enable it' });
  });

  it('builds tools at start-up from what is configured: one per cluster instance, under the same checks', () => {
    const generated = manifest({
      name: 'generated',
      description: 'one tool per configured cluster',
      tools: [],
      build: (b) => [...b.all(CLUSTER).keys()].map((name) => tool(`cluster_${name}`, [CLUSTER])),
    });
    expect(generated.availability(backends()).hidden).toBe('nothing configured builds its tools');
    const two = backends(['eu', CLUSTER], ['us', CLUSTER]);
    expect(generated.availability(two).tools.map((t) => t.name)).toEqual(['cluster_eu', 'cluster_us']);
    const registry = new ToolRegistry([generated], two);
    expect(registry.all().map((t) => t.name)).toEqual(['cluster_eu', 'cluster_us']);
    expect(registry.hiddenToolsets).toEqual([]);
  });

  it('the registry serves what availability says, and lists hidden and partial toolsets with their reasons', () => {
    const hiddenSet = manifest({ name: 'metrics', description: 'metrics tools', tools: [tool('metrics_query', [METRICS])] });
    const registry = new ToolRegistry([set, hiddenSet], backends(['c1', CLUSTER]));
    expect(registry.all().map((t) => t.name)).toEqual(['ops_always', 'ops_cluster']);
    expect(registry.get('ops_metrics')).toBeUndefined();
    expect(registry.hiddenToolsets).toEqual([{ name: 'metrics', reason: 'set METRICS_URL to enable it' }]);
    expect(registry.narrowedToolsets).toEqual([{ name: 'ops', reason: 'ops_always, ops_cluster served; ops_metrics need more: set METRICS_URL' }]);
  });
});
