/**
 * Bundles the console's front end (src/console/web/, TypeScript + CSS) in memory with esbuild when the sandbox
 * starts, so what the browser gets always matches the sources and nothing built lies around to go stale.
 * esbuild is a dev dependency, loaded only here: the production bot never imports it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

export interface ConsoleAssets {
  html: string;
  js: string;
  css: string;
}

export async function bundleConsole(): Promise<ConsoleAssets> {
  const web = join(packageRoot(import.meta.url), 'src', 'console', 'web');
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error(
      'the sandbox console is built with esbuild, a dev dependency: run `npm install` (without --omit=dev)',
    );
  }
  const result = await esbuild.build({
    entryPoints: [join(web, 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    legalComments: 'none',
    outdir: 'console',
    write: false,
    logLevel: 'silent',
  });
  const out = (ext: string) => {
    const file = result.outputFiles.find((f) => f.path.endsWith(ext));
    if (!file) throw new Error(`esbuild produced no ${ext} for the console`);
    return file.text;
  };
  return { html: readFileSync(join(web, 'index.html'), 'utf8'), js: out('.js'), css: out('.css') };
}
