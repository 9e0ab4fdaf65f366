// Static checks of the package conventions in CONTRIBUTING.md ("Packages", "Node and browser"); fast, no build or
// network. The install-and-run check of the published tarballs is package.test.ts.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const packages = readdirSync(path.join(root, 'packages')).filter((p) => existsSync(path.join(root, 'packages', p, 'package.json')));

interface PackageJson {
  name: string;
  sideEffects?: boolean | string[];
  exports?: Record<string, unknown>;
  imports?: Record<string, unknown>;
  files?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function readPkg(p: string): PackageJson {
  return JSON.parse(readFileSync(path.join(root, 'packages', p, 'package.json'), 'utf8')) as PackageJson;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const full = path.join(dir, f);
    return statSync(full).isDirectory() ? sourceFiles(full) : f.endsWith('.ts') && !f.endsWith('.test.ts') ? [full] : [];
  });
}

const NODE_BUILTINS = /^(node:|(assert|buffer|child_process|crypto|fs|fs\/promises|module|os|path|process|stream|url|util|worker_threads|zlib)$)/;
const importsOf = (text: string): string[] =>
  [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);

describe.each(packages)('@boltzflow/%s package.json', (p) => {
  const pkg = readPkg(p);
  const src = path.join(root, 'packages', p, 'src');

  it('exports sources under @boltzflow/source and dist otherwise, ships dist + src without tests, builds on prepack', () => {
    expect(pkg.exports?.['.']).toEqual({
      '@boltzflow/source': './src/index.ts',
      types: './dist/index.d.ts',
      import: './dist/index.js',
      default: './dist/index.js',
    });
    expect(pkg.files).toEqual(['dist', 'src', '!src/**/*.test.ts', 'README.md']);
    expect(pkg.scripts?.prepack).toBe('npm run build');
    expect(pkg.scripts?.build).toBe('tsc -p tsconfig.build.json');
    const build = JSON.parse(readFileSync(path.join(root, 'packages', p, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { customConditions?: string[] };
    };
    expect(build.compilerOptions.customConditions).toEqual([]);
  });

  it('takes TF.js as a peer dependency, never as its own dependency', () => {
    const uses = sourceFiles(src).some((f) => importsOf(readFileSync(f, 'utf8')).includes('@tensorflow/tfjs'));
    if (uses) expect(pkg.peerDependencies?.['@tensorflow/tfjs']).toBeDefined();
    for (const d of Object.keys(pkg.dependencies ?? {})) expect(d.startsWith('@tensorflow/'), d).toBe(false);
  });

  it('lists every self-registering module in sideEffects (tree-shaking must keep the registries filled)', () => {
    const registering = sourceFiles(src)
      .filter((f) => /^register[A-Za-z]*\(/m.test(readFileSync(f, 'utf8')))
      .map(
        (f) =>
          './' +
          path
            .relative(path.join(root, 'packages', p), f)
            .split(path.sep)
            .join('/'),
      );
    if (registering.length === 0) {
      expect(pkg.sideEffects).toBe(false);
      return;
    }
    expect(Array.isArray(pkg.sideEffects)).toBe(true);
    const listed = new Set(pkg.sideEffects as string[]);
    for (const f of registering) {
      expect(listed, f).toContain(f);
      expect(listed, f).toContain(f.replace('./src/', './dist/').replace(/\.ts$/, '.js'));
    }
    for (const f of listed) if (f.startsWith('./src/')) expect(existsSync(path.join(root, 'packages', p, f)), `listed ${f} exists`).toBe(true);
  });

  it('reaches Node built-ins only through its #platform adapter, whose two sides export the same names', async () => {
    for (const f of sourceFiles(src)) {
      if (/platform\.node\.ts$/.test(f)) continue;
      const text = readFileSync(f, 'utf8');
      expect(
        importsOf(text).filter((s) => NODE_BUILTINS.test(s)),
        path.relative(root, f),
      ).toEqual([]);
      expect(/\bprocess\.(env|argv|cwd|exit)/.test(text.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')), `${path.relative(root, f)} uses process`).toBe(false);
    }
    if (existsSync(path.join(src, 'platform.node.ts'))) {
      expect(pkg.imports?.['#platform']).toEqual({
        '@boltzflow/source': { node: './src/platform.node.ts', default: './src/platform.browser.ts' },
        node: { types: './dist/platform.node.d.ts', default: './dist/platform.node.js' },
        default: { types: './dist/platform.browser.d.ts', default: './dist/platform.browser.js' },
      });
      const nodeSide = (await import(path.join(src, 'platform.node.ts'))) as Record<string, unknown>;
      const browserSide = (await import(path.join(src, 'platform.browser.ts'))) as Record<string, unknown>;
      expect(Object.keys(browserSide).sort()).toEqual(Object.keys(nodeSide).sort());
    }
  });
});
