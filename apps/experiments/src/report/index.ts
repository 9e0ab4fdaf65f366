import { existsSync } from 'node:fs';
import path from 'node:path';
import { BoltzflowError } from '@boltzflow/core';
import type { Results } from '../results.js';
import { INCOMPLETE_MARKER, readResults, writeFileAtomic } from '../results.js';
import { standardFigures, type Figure } from './figures.js';
import { reportHtml } from './html.js';
import { renderFigure, type RenderedFigure } from './render.js';

export type { Figure } from './figures.js';
export { standardFigures } from './figures.js';

export interface ReportFiles {
  html: string;
  svg: string[];
  png: string[];
  figures: RenderedFigure[];
}

/**
 * Renders `figures` (default: the standard figures of `results`) and writes report.html plus
 * figures/<id>.svg and figures/<id>.png into `dir`.
 */
export async function writeReport(dir: string, results: Results, figures: Figure[] = standardFigures(results)): Promise<ReportFiles> {
  const rendered: RenderedFigure[] = [];
  for (const f of figures) rendered.push(await renderFigure(f));
  const svg: string[] = [];
  const png: string[] = [];
  for (const r of rendered) {
    const base = path.join(dir, 'figures', r.figure.id);
    await writeFileAtomic(`${base}.svg`, r.svg);
    await writeFileAtomic(`${base}.png`, r.png);
    svg.push(`${base}.svg`);
    png.push(`${base}.png`);
  }
  const html = path.join(dir, 'report.html');
  await writeFileAtomic(html, reportHtml(results, rendered));
  return { html, svg, png, figures: rendered };
}

/** Rebuilds the report of a finished run from its results.json (validated on read). */
export async function rebuildReport(dir: string, figuresFor?: (r: Results) => Figure[]): Promise<ReportFiles> {
  if (existsSync(path.join(dir, INCOMPLETE_MARKER))) {
    throw new BoltzflowError(
      'INVALID_CONFIG',
      `${dir} holds an incomplete run (it has an ${INCOMPLETE_MARKER} marker: the run was killed before it finished); run the experiment again`,
      { argument: 'DIR', received: dir },
    );
  }
  const results = await readResults(dir);
  return writeReport(dir, results, figuresFor ? figuresFor(results) : standardFigures(results));
}
