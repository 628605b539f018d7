import { Backends } from '../../src/backends/backends.js';
import { LOG_SOURCE, type LogSource } from '../../src/backends/capabilities.js';
import type { BackendInstance, Capability } from '../../src/backends/module.js';

/**
 * Backends for unit tests, without any module: one instance per log source (named as the source)
 * and one `fake` instance providing the given capabilities.
 */
export function fakeBackends(provides: [Capability<unknown>, unknown][] = [], logSources: LogSource[] = []): Backends {
  const instance = (name: string, entries: [Capability<unknown>, unknown][]): BackendInstance => ({ kind: name, name, provides: new Map(entries), close: () => {} });
  return new Backends([...logSources.map((s) => instance(s.name, [[LOG_SOURCE, s]])), ...(provides.length ? [instance('fake', provides)] : [])]);
}
