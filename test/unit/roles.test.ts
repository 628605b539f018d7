import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { invokeTool } from '../../src/tools/invoke.js';
import { ROLES, TOOL_ROLES, canIngest, roleAllows } from '../../src/core/roles.js';
import { loadConfig } from '../../src/settings.js';
import { testConfig } from '../helpers/config.js';

describe('roles', () => {
  it('tool roles rank least privileged first; ingest calls no tool and is the only role that ingests', () => {
    expect(ROLES).toEqual([...TOOL_ROLES, 'ingest']);
    expect(roleAllows('elk_admin_readonly', 'elk_viewer')).toBe(true);
    expect(roleAllows('elk_viewer', 'elk_operator')).toBe(false);
    for (const least of TOOL_ROLES) expect(roleAllows('ingest', least)).toBe(false);
    expect(ROLES.filter(canIngest)).toEqual(['ingest']);
  });

  it('an ingest key is accepted in API_KEYS and refused every tool, even the cheapest', async () => {
    const config = loadConfig({ env: { API_KEYS: 'shipper-key-0123456789:ingest', DATA_DIR: testConfig().DATA_DIR } });
    expect(config.API_KEYS).toEqual([expect.objectContaining({ role: 'ingest' })]);
    const app = buildApp(testConfig());
    try {
      const res = await invokeTool(app.rt, 'telemcp_status', {}, { id: 'k_shipper', role: 'ingest', transport: 'direct' });
      expect(res).toMatchObject({ ok: false, error: { code: 'permission_denied' } });
      expect(app.rt.registry.listFor('ingest')).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
