/** The options of `telemcp seed`, parsed by the CLI's one parseArgs call (options.ts); apart from seed.ts so parsing loads no seed code. */
export const SEED_OPTIONS = {
  seed: { type: 'string' },
  now: { type: 'string' },
  hours: { type: 'string' },
  scale: { type: 'string' },
  'es-url': { type: 'string' },
  prefix: { type: 'string' },
  namespace: { type: 'string' },
  replicas: { type: 'string' },
} as const;

export type SeedArgValues = { [K in keyof typeof SEED_OPTIONS]?: string } & { json?: boolean; help?: boolean };
