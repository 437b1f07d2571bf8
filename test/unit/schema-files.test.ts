import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ID_BLOCK, loadSchemaCatalog, SCHEMAS_DIR } from '../../src/codecs/schema-catalog.js';

interface Field {
  name: string;
  doc?: string;
  default?: unknown;
  type: unknown;
}
interface Ids {
  schemas: Record<string, { versions: { version: number; id: number; file: string }[] }>;
}

const ids = JSON.parse(readFileSync(new URL('ids.json', SCHEMAS_DIR), 'utf8')) as Ids;
const read = (file: string) => JSON.parse(readFileSync(new URL(file, SCHEMAS_DIR), 'utf8'));

function allFields(schema: unknown, out: Field[] = []): Field[] {
  if (Array.isArray(schema)) for (const s of schema) allFields(s, out);
  else if (schema && typeof schema === 'object') {
    const s = schema as { fields?: Field[]; items?: unknown; values?: unknown };
    for (const f of s.fields ?? []) {
      out.push(f);
      allFields(f.type, out);
    }
    allFields(s.items, out);
    allFields(s.values, out);
  }
  return out;
}

describe('schemas/ directory', () => {
  it('loads every listed version; ids are unique and in one block per schema', () => {
    const catalog = loadSchemaCatalog();
    const seen = new Set<number>();
    for (const [name, entry] of Object.entries(ids.schemas)) {
      const blocks = new Set(entry.versions.map((v) => Math.floor(v.id / ID_BLOCK)));
      expect(blocks.size, name).toBe(1);
      for (const v of entry.versions) {
        expect(seen.has(v.id)).toBe(false);
        seen.add(v.id);
        expect(catalog.byId(v.id)?.fullName).toBe(name);
      }
    }
  });

  it('the unversioned file is the newest version, namespace io.berth, every field documented', () => {
    for (const entry of Object.values(ids.schemas)) {
      const newest = entry.versions.at(-1);
      if (!newest) throw new Error('no versions');
      const current = read(newest.file.replace(/\.v\d+\.avsc$/, '.avsc'));
      expect(current).toEqual(read(newest.file));
      expect(current.namespace).toBe('io.berth');
      for (const f of allFields(current)) expect(f.doc, `${current.name}.${f.name}`).toBeTruthy();
    }
  });

  it('each version only appends fields with defaults to the previous one (in nested records too)', () => {
    /** `next` keeps `prev`'s fields in order, unchanged but for nested records growing the same way. */
    function appendsOnly(prev: Field[], next: Field[], where: string): void {
      expect(next.length, where).toBeGreaterThanOrEqual(prev.length);
      prev.forEach((p, i) => {
        const n = next[i] as Field & { type: unknown };
        const pt = (p as Field & { type: unknown }).type as { type?: string; fields?: Field[] };
        const nt = n.type as { type?: string; fields?: Field[] };
        if (pt?.type === 'record' && nt?.type === 'record') {
          expect({ ...n, type: { ...nt, fields: [] } }, `${where}.${p.name}`).toEqual({
            ...p,
            type: { ...pt, fields: [] },
          });
          appendsOnly(pt.fields ?? [], nt.fields ?? [], `${where}.${p.name}`);
        } else expect(n, `${where}.${p.name}`).toEqual(p);
      });
      for (const f of next.slice(prev.length)) expect(f.default, `${where}.${f.name}`).not.toBeUndefined();
    }
    let nestedGrowth = 0;
    for (const [name, entry] of Object.entries(ids.schemas)) {
      for (let i = 1; i < entry.versions.length; i++) {
        const prev = read(entry.versions[i - 1]?.file ?? '').fields as Field[];
        const next = read(entry.versions[i]?.file ?? '').fields as Field[];
        appendsOnly(prev, next, name);
        if (JSON.stringify(next.slice(0, prev.length)) !== JSON.stringify(prev)) nestedGrowth++;
      }
    }
    expect(nestedGrowth).toBe(2); // CodePackage v2: CodeManifest.handler; v3: CodeManifest.secrets
  });

  it('top-level fields all have defaults, so they can be dropped later', () => {
    for (const entry of Object.values(ids.schemas)) {
      const s = read(entry.versions.at(-1)?.file ?? '');
      for (const f of s.fields as Field[]) {
        if (f.name !== 'manifest') expect(f.default, `${s.name}.${f.name}`).not.toBeUndefined();
      }
    }
  });
});
