import { TelemcpError } from '../../core/errors.js';
import type { LogSource } from '../../backends/capabilities.js';
import type { ToolContext } from '../tool.js';

/** The configured log backends by name; the log tools never reach a backend any other way. */
export function logSources(ctx: Pick<ToolContext, 'backends'>): ReadonlyMap<string, LogSource> {
  return ctx.backends.logSources;
}

/**
 * The source a log tool's optional `source` argument names. With one source configured it is
 * the default; with several, the caller must choose, because silently picking one would
 * answer about a backend the caller did not mean. Errors list the valid names.
 */
export function resolveLogSource(ctx: Pick<ToolContext, 'backends'>, source: string | undefined): LogSource {
  const sources = logSources(ctx);
  const names = [...sources.keys()];
  if (names.length === 0) {
    throw new TelemcpError('backend_unavailable', 'No log source is configured.', { hint: 'Set ES_URL or OPENSEARCH_URL.' });
  }
  if (source === undefined) {
    if (names.length === 1) return sources.get(names[0])!;
    throw new TelemcpError('invalid_input', `Several log sources are configured (${names.join(', ')}); source must name one.`, { hint: `Pass source as one of: ${names.join(', ')}.` });
  }
  const found = sources.get(source);
  if (!found) {
    throw new TelemcpError('invalid_input', `No log source named ${JSON.stringify(source.slice(0, 64))}.`, {
      hint: names.length === 1 ? `Pass source as ${names[0]}, or omit it.` : `Pass source as one of: ${names.join(', ')}.`,
    });
  }
  return found;
}
