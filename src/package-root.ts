import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the nearest folder above `from` (a module's `import.meta.url`) holding package.json. Works from
 * src/ under tsx and from compiled dist/, where the same relative path would point elsewhere.
 */
export function packageRoot(from: string): string {
  let dir = dirname(fileURLToPath(from));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir)
      throw new Error(`cannot find package.json above ${fileURLToPath(from)}: run from the project folder`);
    dir = up;
  }
  return dir;
}
