import { z } from 'zod';
import type { Burst } from '../../analysis/bursts/detect.js';

/** How every log tool shows a burst: times in ISO 8601, counts per bucket, who carries it. */
export const burstOut = z.object({
  status: z.enum(['ongoing', 'resolved']),
  onset: z.string(),
  peak_at: z.string(),
  peak_per_bucket: z.number(),
  end: z.string().nullable(),
  count: z.number(),
  baseline_per_bucket: z.number(),
  baseline_from: z.enum(['preceding', 'day_earlier']),
  ratio: z.number(),
  excess: z.number(),
  contributors: z.array(z.object({ label: z.string(), values: z.array(z.object({ value: z.string(), share: z.number() })) })).optional(),
});

export function toBurstOut(b: Burst): z.infer<typeof burstOut> {
  return {
    status: b.status,
    onset: new Date(b.onsetMs).toISOString(),
    peak_at: new Date(b.peakMs).toISOString(),
    peak_per_bucket: b.peakCount,
    end: b.endMs === null ? null : new Date(b.endMs).toISOString(),
    count: b.count,
    baseline_per_bucket: b.baseline,
    baseline_from: b.baselineSource,
    ratio: b.ratio,
    excess: b.excess,
    ...(b.contributors?.length
      ? { contributors: b.contributors.map((c) => ({ label: c.label, values: c.values.map((v) => ({ value: v.value, share: v.share })) })) }
      : {}),
  };
}
