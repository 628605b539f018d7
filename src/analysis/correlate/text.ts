/** Model-facing text has a budget: every string the engine emits is cut. */
export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A template inside evidence: quoted and short. */
export function quoted(template: string): string {
  return `"${cut(template, 120)}"`;
}

/** ISO 8601 to the second: evidence reads easier without milliseconds. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
