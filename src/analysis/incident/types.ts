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
  /** Records of this template in the caller's window (exact when template_counts is exact). */
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

export interface SilentService {
  service: string;
  /** No record since this time. */
  since: string;
  usual_per_min: number;
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
  /**
   * `silent`: the errors stopped together with the logs of the service that had them (it logs
   * nothing, or under half its usual rate, since), so nothing says it recovered.
   */
  status: 'ongoing' | 'resolved' | 'silent' | 'none';
  /** Error records of the incident's services since its onset (exact when count_exact). */
  count: number;
  /** The same, counted inside the caller's window only. */
  count_in_window: number;
  /** count and count_in_window are server-side counts, not estimates from the sample. */
  count_exact: boolean;
  /** The incident was already under way when the caller's window starts (its onset came from the lookback). */
  began_before_window: boolean;
  /** Counts of templates (cause, symptoms, non-incidents): counted server-side per distinct message, or estimated from the weighted sample. */
  template_counts: 'exact' | 'estimate';
  /** Services that logged steadily and then stopped: silence is a finding, not a recovery. */
  silent_services: SilentService[];
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
