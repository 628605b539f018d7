import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type Config } from '../../src/config/load.js';
import { loadConfig } from '../../src/settings.js';

/**
 * A config from explicit settings only: the test's own environment never leaks in. The embedded
 * store is off unless a test turns it on (EMBEDDED_STORE=on/auto), so a test sees exactly the
 * backends it names.
 */
export function testConfig(settings: Record<string, string> = {}): Config {
  const dataDir = mkdtempSync(join(tmpdir(), 'telemcp-test-'));
  return loadConfig({ env: { DATA_DIR: dataDir, LOG_LEVEL: 'silent', EMBEDDED_STORE: 'off', ...settings } });
}

/** The problems loadConfig reports for these env settings, one per line; none when they load. */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig({ env });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}
