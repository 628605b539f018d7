/**
 * A module's unit tests are findable by its name: every test/unit file is named after the
 * modules it tests. A name is one or more parts joined by `+`; a part is a module's file name
 * (`connection` for src/config/connection.ts) or folder name, optionally preceded by its
 * folder (`ingest-bulk` for src/ingest/bulk.ts, `template-miner` for analysis/templates/miner.ts)
 * and optionally followed by a `-qualifier` (`miner-quality`). Modules live under src/ and bench/.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every module (file without .ts) and folder under src/ and bench/, with the folders above it. */
function modules(): { name: string; folders: string[]; path: string }[] {
  const out: { name: string; folders: string[]; path: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const folders = dirname(path).split('/').slice(1);
      if (entry.isDirectory()) {
        out.push({ name: entry.name, folders, path });
        walk(path);
      } else if (entry.name.endsWith('.ts')) {
        out.push({ name: basename(entry.name, '.ts'), folders, path });
      }
    }
  };
  walk('src');
  walk('bench');
  return out;
}

const MODULES = modules();

/** The modules a part of a test's name points at. */
function modulesNamed(part: string): string[] {
  return MODULES.filter(({ name, folders }) => {
    const named = (rest: string) => rest === name || rest.startsWith(`${name}-`);
    if (named(part)) return true;
    return folders.some((folder) => {
      const cut = part.indexOf('-');
      return cut > 0 && folder.startsWith(part.slice(0, cut)) && named(part.slice(cut + 1));
    });
  }).map((m) => m.path);
}

describe('unit tests are named after their modules', () => {
  const files = readdirSync(join(ROOT, 'test/unit')).filter((f) => f.endsWith('.test.ts'));

  it.each(files)('%s names modules that exist', (file) => {
    const parts = basename(file, '.test.ts').split('+');
    const missing = parts.filter((part) => modulesNamed(part).length === 0);
    expect(missing, `rename test/unit/${file} after the src/ or bench/ modules it tests`).toEqual([]);
  });

  it('knows a made-up name is not a module', () => {
    expect(modulesNamed('no-such-module-anywhere')).toEqual([]);
    expect(modulesNamed('connection')).toContain(relative(ROOT, join(ROOT, 'src/config/connection.ts')));
  });
});
