/**
 * The handle tests use to run against the Loki contract fake (test/fakes/loki-fake.ts): start
 * it on loopback, push entries through its real HTTP push endpoint (JSON, as Promtail's JSON
 * mode and `curl` send them), stop it.
 */
import { LokiFake, type LokiLimits } from '../fakes/loki-fake.js';

export type { LokiLimits } from '../fakes/loki-fake.js';
export { LokiFake } from '../fakes/loki-fake.js';

export type LokiEntry = [string /* unix ns */, string /* line */] | [string, string, Record<string, string> /* structured metadata */];
export interface LokiPushStream {
  stream: Record<string, string>;
  values: LokiEntry[];
}
export interface LokiFakeOptions {
  limits?: Partial<LokiLimits>;
  /** Default true: every request must carry X-Scope-OrgID. */
  authEnabled?: boolean;
}
export interface LokiFakeHandle {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Requests seen and faults (from ContractFake). */
  fake: LokiFake;
  /** Pushes through POST /loki/api/v1/push (JSON); fails on any answer but 204. */
  push(streams: LokiPushStream[], tenant?: string): Promise<void>;
  close(): Promise<void>;
}

/** The tenant `push` writes to when none is named. */
export const DEFAULT_TENANT = 'telemcp-test';

export async function startLokiFake(opts: LokiFakeOptions = {}): Promise<LokiFakeHandle> {
  const fake = await new LokiFake(opts).start();
  const url = fake.url;
  return {
    url,
    fake,
    async push(streams, tenant = DEFAULT_TENANT) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fake.authEnabled) headers['x-scope-orgid'] = tenant;
      const res = await fetch(`${url}/loki/api/v1/push`, { method: 'POST', headers, body: JSON.stringify({ streams }) });
      if (res.status !== 204) throw new Error(`POST ${url}/loki/api/v1/push → ${res.status}: ${(await res.text()).slice(0, 500)}`);
    },
    close: () => fake.stop(),
  };
}
