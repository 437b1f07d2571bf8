// Builds the CommonJS copy of the SDK into dist-cjs/ after `tsc` built the ESM one into dist/:
// every source file that src/index.ts reaches, one .js per file in the same tree (so relative
// paths such as schemas/ resolve the same from both), a package.json marking the tree CommonJS,
// and the declaration files tsc emitted (read as CommonJS types there).
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-cjs');

const graph = await build({
  absWorkingDir: root,
  entryPoints: ['src/index.ts'],
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  write: false,
  metafile: true,
  logLevel: 'silent',
});
const sources = Object.keys(graph.metafile.inputs).filter((f) => f.startsWith('src/'));

await rm(out, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: sources,
  outdir: out,
  outbase: 'src',
  bundle: false,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  // import.meta does not exist in CommonJS: the same file URL, from __filename.
  define: { 'import.meta.url': '__berthModuleUrl' },
  banner: { js: 'const __berthModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
});
await writeFile(join(out, 'package.json'), '{ "type": "commonjs" }\n');

async function copyDeclarations(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await copyDeclarations(path);
    else if (entry.name.endsWith('.d.ts')) {
      const target = join(out, relative(join(root, 'dist'), path));
      await mkdir(dirname(target), { recursive: true });
      await cp(path, target);
    }
  }
}
await copyDeclarations(join(root, 'dist'));
console.error(`berth: CommonJS build of ${sources.length} modules in dist-cjs/`);
