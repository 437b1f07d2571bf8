import type { CodeManifest, CodePackage, SecretDeclaration } from '../domain/code-package.js';
import { asBuffer, createAvroCodec } from './avro-codec.js';
import type { Codec } from './codec.js';
import { defaultSchemaCatalog, type SchemaCatalog } from './schema-catalog.js';

type AvroRecord = Record<string, unknown>;

function toAvro(p: CodePackage): unknown {
  return {
    name: p.name,
    revision: p.revision,
    digest: p.digest,
    manifest: {
      ...p.manifest,
      command: [...p.manifest.command],
      env: { ...p.manifest.env },
      secrets: p.manifest.secrets.map((s) => ({ name: s.name, as: s.as === 'file' ? 'FILE' : 'ENV' })),
    },
    tarball: asBuffer(p.tarball),
    createdAtMs: p.createdAtMs,
  };
}

function fromAvro(r: AvroRecord): CodePackage {
  const m = r.manifest as AvroRecord;
  const manifest = {
    ...m,
    env: { ...(m.env as Record<string, string>) },
    handler: (m.handler as string | null | undefined) ?? null,
    secrets: ((m.secrets as AvroRecord[] | undefined) ?? []).map(
      (s): SecretDeclaration => ({ name: s.name as string, as: s.as === 'FILE' ? 'file' : 'env' }),
    ),
  } as unknown as CodeManifest;
  return {
    name: r.name as string,
    revision: r.revision as number,
    digest: r.digest as string,
    manifest,
    tarball: r.tarball as Buffer,
    createdAtMs: r.createdAtMs as number,
  };
}

function violation(p: CodePackage): string | null {
  if (p.name.length === 0) return 'name is empty';
  if (!Number.isInteger(p.revision) || p.revision < 1)
    return `revision ${p.revision} is not a positive integer`;
  if (!/^sha256:[0-9a-f]{64}$/.test(p.digest)) return `digest '${p.digest}' is not sha256:<64 hex>`;
  if (p.manifest.name !== p.name) return `manifest.name '${p.manifest.name}' differs from name '${p.name}'`;
  return null;
}

export function createCodePackageCodec(catalog: SchemaCatalog = defaultSchemaCatalog()): Codec<CodePackage> {
  return createAvroCodec<CodePackage>(
    { fullName: 'io.berth.CodePackage', toAvro, fromAvro, violation },
    catalog,
  );
}

/** CodePackage values on the compacted `berth.code` topic. */
export const codePackageCodec: Codec<CodePackage> = createCodePackageCodec();
