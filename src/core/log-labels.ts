/**
 * A label records can be counted by. The log sources' interface (backends/capabilities.ts) and
 * the embedded store's statements both name it, so it lives below both.
 */
export type LogLabel = 'service' | 'level' | 'host';
