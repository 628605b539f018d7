import type { Envelope, PromQueryData } from '../../backends/metrics/prometheus.js';

/** A query answer's text read in the analysis thread: its data and warnings, or what the server said went wrong. */
export type QueryBody = { ok: true; data: PromQueryData; warnings: string[] } | { ok: false; errorType?: string; error?: string };

/** The documented envelope parsed off the event loop (a matrix can be megabytes); warnings and infos surfaced, at most 10. */
export function parseQueryBody(body: string): QueryBody {
  let env: Envelope<PromQueryData>;
  try {
    env = JSON.parse(body) as Envelope<PromQueryData>;
  } catch {
    return { ok: false, errorType: 'not_json' };
  }
  if (env.status !== 'success' || !env.data) return { ok: false, errorType: env.errorType, error: env.error };
  return { ok: true, data: env.data, warnings: [...(env.warnings ?? []), ...(env.infos ?? [])].slice(0, 10) };
}
