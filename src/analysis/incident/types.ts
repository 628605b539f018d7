/**
 * The incident summary: one compact findings object a model reads first. Names are snake_case
 * because the model reads them (house rule 8); every list is capped and every string cut.
 */

export interface SummaryCause {
  service: string;
  template: string;
  /** The failure signature the template shows (pool_exhausted, out_of_memory, disk_full, …), if any. */
  signature: string | null;
  role: 'resource' | 'origin' | 'dependency' | 'unknown';
  count: number;
  onset: string;
  /** 0–1: how clearly this service beats the runner-up as the cause. */
  confidence: number;
  evidence: string[];
  /** The service's other bursting templates. */
  other_templates: { template: string; count: number }[];
}

export interface SummarySymptom {
  service: string;
  template: string;
  signature: string | null;
  count: number;
  /** Onset relative to the likely cause, seconds (negative: it showed first, e.g. a caller's timeout). */
  lag_s: number;
  shared_traces: number;
  /** 0–1: how clearly it follows from the likely cause. */
  confidence: number;
  evidence: string[];
}

/** A read-only call worth making next, ready to send. */
export interface NextCheck {
  tool: string;
  args: Record<string, unknown>;
  why: string;
}

/** Something that looks alarming but is not this incident. */
export interface NonIncident {
  kind: 'steady_warning' | 'steady_errors' | 'resolved_spike';
  service: string;
  template: string;
  count: number;
  note: string;
}

/** An ongoing burst with no tie (traces, naming, co-movement) to the incident: look at it separately. */
export interface OtherBurst {
  services: string[];
  template: string;
  count: number;
  since: string;
}

export interface IncidentSummary {
  /** One sentence. */
  what: string;
  /** Incident onset, ISO 8601; null without an incident. */
  since: string | null;
  status: 'ongoing' | 'resolved' | 'none';
  /** Error events of the incident since its onset. */
  count: number;
  /** The cause's service first, then its symptoms'. */
  services: string[];
  likely_cause: SummaryCause | null;
  symptoms: SummarySymptom[];
  evidence: string[];
  next_checks: NextCheck[];
  non_incidents: NonIncident[];
  other_bursts: OtherBurst[];
  window: { start: string; end: string; bucket_s: number };
  /** Some input or list was cut to stay bounded. */
  truncated: boolean;
}
