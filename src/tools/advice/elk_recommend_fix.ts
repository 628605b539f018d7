import { z } from 'zod';
import { DEFAULT_MAX_RECOMMENDATIONS, MAX_RECOMMENDATIONS, SEVERITIES, recommend } from '../../analysis/recommend/index.js';
import { defineTool } from '../tool.js';

export const evidenceOut = z.object({ path: z.string(), value: z.union([z.string(), z.number(), z.boolean(), z.null()]) });

const recommendationOut = z.object({
  id: z.string(),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  evidence: z.array(evidenceOut),
  check: z.string(),
  fix: z.string(),
  references: z.array(z.string()).optional(),
});

export const elkRecommendFix = defineTool({
  name: 'elk_recommend_fix',
  title: 'Recommend safe fixes',
  description:
    'Safe fixes for findings: any telemcp tool output or error, several keyed by name. E.g. {"cluster_health":{"status":"yellow"}}. Ranked, each with its evidence, a read-only check and a safe fix; runs nothing.',
  readme: 'takes findings (any tool\'s output, error bodies, or seed 000\'s example) and returns ranked recommendations from a rule library covering seed 000\'s troubleshooting table and common application signatures — each with its evidence, a read-only check and a safe fix; never executes anything',
  toolset: 'advice',
  leastRole: 'elk_viewer',
  openWorld: false,
  input: z
    .object({
      findings: z.record(z.string(), z.unknown()).describe('Tool output(s) or error bodies to diagnose'),
      max_recommendations: z.number().int().min(1).max(MAX_RECOMMENDATIONS).default(DEFAULT_MAX_RECOMMENDATIONS).describe('Most recommendations returned'),
    })
    .strict(),
  output: z.object({
    summary: z.string(),
    recommendations: z.array(recommendationOut),
    matched: z.number(),
    truncated: z.boolean(),
    unmatched: z.array(z.string()).optional(),
  }),
  async handler(input) {
    return recommend(input.findings, { max: input.max_recommendations });
  },
});
