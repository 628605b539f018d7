import type { z } from 'zod';

/**
 * A part of telemcp's settings with everything known about it: the schema of each key, which
 * keys hold secrets, the checks across keys, and which values weaken security. The server's own
 * settings are one fragment; each backend module brings its own (src/backends/modules.ts), so a
 * backend's facts are written once, next to it.
 */
export interface SettingsFragment {
  shape: z.ZodRawShape;
  /** Keys whose values are never echoed in an error, a banner, a log or a tool result. */
  secrets: readonly string[];
  /** Checks across keys, on the raw values, so every problem is reported in one go. */
  problems?: (raw: Readonly<Record<string, unknown>>) => string[];
  /** Settings that weaken security, as `KEY=value`, reported at start-up, in /readyz and as a metric. */
  insecure?: (config: Readonly<Record<string, unknown>>) => string[];
}
