/** A label set in PromQL's own notation, cut to a bound: `{job="api", instance="10.0.0.1:9100"}`. */
export function labelText(labels: Record<string, string>, max = 160): string {
  const text = `{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ')}}`;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
