/**
 * The build `npm start`, `npm run build` and `npm run bench` run first: transpiles the TypeScript of src/, handlers/,
 * cards/, bench/ and test/helpers/ into dist/ with esbuild, only the files changed since their output was written, and removes the
 * output of deleted sources. When nothing changed it returns in a few milliseconds without loading esbuild, so
 * `npm start` costs little more than starting the compiled bot: it runs this in the bot's own process
 * (`node --import=./scripts/build.mjs … dist/src/main.js`), before the bot's modules load, rather than as a
 * prestart script (npm runs each script in a shell and a process of its own).
 *
 * No type-checking here: `npm run lint` and the tests run tsc. The project compiles file by file already
 * (`isolatedModules`, `verbatimModuleSyntax`), so esbuild's output is what tsc would emit.
 *
 *   node scripts/build.mjs [--all]     (from the project root; --all rebuilds every file)
 *   node --import=./scripts/build.mjs … dist/src/main.js
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

/** test/helpers: what the benchmarks borrow from the tests (a redis-server of their own, the emulator's fan-out). */
const ROOTS = ['src', 'handlers', 'cards', 'bench', join('test', 'helpers')];
/** Browser code, bundled in memory when the sandbox starts (src/console/bundle.ts). */
const SKIP = [join('src', 'console', 'web')];
const OUT = 'dist';
const STAMP = join(OUT, '.build-stamp');
/** What every output depends on besides its source: a change to any of them rebuilds everything. */
const INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs', 'node_modules/esbuild/package.json'];

const started = performance.now();
const root = process.cwd();

/** `.ts` files under dir (relative to the root), without declarations and the skipped folders. */
function sources(dir) {
  if (SKIP.includes(dir) || !existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Output `.js` files under dist/<dir>, relative to dist/. */
function outputs(dir) {
  const full = join(OUT, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return outputs(path);
    return e.isFile() && e.name.endsWith('.js') ? [path] : [];
  });
}

const outputOf = (source) => join(OUT, source.replace(/\.ts$/, '.js'));
const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : -1);

const stamp = createHash('sha256');
for (const input of INPUTS) stamp.update(existsSync(input) ? readFileSync(input) : `absent:${input}`);
const digest = stamp.digest('hex');
const fresh = process.argv.includes('--all') || !existsSync(STAMP) || readFileSync(STAMP, 'utf8') !== digest;

const all = ROOTS.flatMap(sources);
const stale = fresh ? all : all.filter((s) => mtime(outputOf(s)) < mtime(s));

// Outputs whose source is gone would still be importable: remove them with their maps.
const expected = new Set(all.map((s) => s.replace(/\.ts$/, '.js')));
const orphans = ROOTS.flatMap(outputs).filter((o) => !expected.has(o) && !SKIP.some((d) => o.startsWith(d)));
for (const o of orphans) {
  rmSync(join(OUT, o), { force: true });
  rmSync(join(OUT, `${o}.map`), { force: true });
}

if (stale.length > 0) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    process.stderr.write(
      `build: ${stale.length} file(s) changed since dist/ was built, and esbuild (a dev dependency) is not installed: ` +
        'run `npm ci && npm run build` where the sources are, or deploy a built dist/\n',
    );
    process.exit(1);
  }
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: stale,
    outdir: OUT,
    outbase: '.',
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    sourcemap: 'linked',
    sourcesContent: false,
    tsconfig: 'tsconfig.build.json',
    logLevel: 'warning',
  });
  // Its service process would otherwise live on beside the bot that `npm start` runs next in this process.
  await esbuild.stop();
  writeFileSync(STAMP, digest);
}
if (stale.length > 0 || orphans.length > 0) {
  const ms = (performance.now() - started).toFixed(0);
  const what = fresh ? `all ${stale.length} files` : `${stale.length} changed file(s)`;
  process.stderr.write(
    `build: ${what} → ${relative(root, OUT) || OUT}/ in ${ms} ms` +
      (orphans.length ? `, ${orphans.length} output(s) of deleted sources removed` : '') +
      '\n',
  );
}
