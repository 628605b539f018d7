/**
 * A service's error text that names another service ("timeout to fraud-service", "upstream
 * checkout-service responded 502") is testimony that it called that service and suffered from
 * it. Unlike timestamps, that testimony does not depend on clocks or on when each side logged.
 */

/** Names shorter than this ("db", "api") match too many words to be testimony. */
const MIN_NAME_LENGTH = 3;

function patternFor(service: string): RegExp {
  const escaped = service.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?:^|[^a-z0-9_-])${escaped}(?:$|[^a-z0-9_-])`, 'i');
}

/** Whether a template names the service as a whole word ("fraud-service", not "fraud-service-v2"). */
export function names(template: string, service: string): boolean {
  return service.length >= MIN_NAME_LENGTH && patternFor(service).test(template);
}

/** The other services (from `candidates`) that any of a service's templates name. */
export function namedServices(own: string, templates: readonly string[], candidates: readonly string[]): string[] {
  return candidates.filter((c) => c !== own && templates.some((t) => names(t, c)));
}
