import { describe, expect, it } from 'vitest';
import type { LogSource } from '../../src/backends/capabilities.js';
import type { Backends } from '../../src/backends/backends.js';
import { logSources, resolveLogSource } from '../../src/tools/logs/sources.js';
import { fakeBackends } from '../helpers/backends.js';
import { thrownError } from '../helpers/errors.js';

/** Only identity matters to resolution: the methods are never called here. */
function source(name: string): LogSource {
  const unused = () => Promise.reject(new Error('not called'));
  return {
    name,
    kind: 'elasticsearch',
    defaultScope: 'logs-*',
    capabilities: { pastWindows: true, traceIds: true, textSearch: true, labels: ['service'], maxSample: 10, maxHistogramBuckets: 10 },
    sample: unused,
    histogram: unused,
    countBy: unused,
    search: unused,
  };
}

function ctx(...names: string[]): { backends: Backends } {
  return { backends: fakeBackends([], names.map(source)) };
}

describe('resolveLogSource', () => {
  it('defaults to the only configured source, and accepts its name', () => {
    const c = ctx('elasticsearch');
    expect(resolveLogSource(c, undefined).name).toBe('elasticsearch');
    expect(resolveLogSource(c, 'elasticsearch')).toBe(logSources(c).get('elasticsearch'));
  });

  it('needs a name when several are configured, and lists them', () => {
    const c = ctx('elasticsearch', 'embedded', 'loki');
    const err = thrownError(() => resolveLogSource(c, undefined));
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain('elasticsearch, embedded, loki');
    expect(err.hint).toBe('Pass source as one of: elasticsearch, embedded, loki.');
    expect(resolveLogSource(c, 'loki').name).toBe('loki');
  });

  it('refuses an unknown name, listing the valid ones', () => {
    const several = thrownError(() => resolveLogSource(ctx('elasticsearch', 'loki'), 'victorialogs'));
    expect(several.code).toBe('invalid_input');
    expect(several.message).toBe('No log source named "victorialogs".');
    expect(several.hint).toBe('Pass source as one of: elasticsearch, loki.');
    const one = thrownError(() => resolveLogSource(ctx('opensearch'), 'elasticsearch'));
    expect(one.code).toBe('invalid_input');
    expect(one.hint).toBe('Pass source as opensearch, or omit it.');
  });

  it('says which settings configure one when none is', () => {
    const err = thrownError(() => resolveLogSource(ctx(), undefined));
    expect(err.code).toBe('backend_unavailable');
    expect(err.hint).toContain('ES_URL');
    expect(thrownError(() => resolveLogSource(ctx(), 'elasticsearch')).code).toBe('backend_unavailable');
  });
});
