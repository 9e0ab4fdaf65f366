import * as vega from 'vega';
import { compile } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { BoltzflowError } from '@boltzflow/core';
import type { Figure } from './figures.js';

export interface RenderedFigure {
  figure: Figure;
  svg: string;
  png: Uint8Array;
}

/** Compiles a figure's Vega-Lite spec and renders it headlessly (no DOM, no canvas) to SVG, then PNG. */
export async function renderFigure(figure: Figure, pngScale = 2): Promise<RenderedFigure> {
  let svg: string;
  try {
    // aria: false drops a per-mark aria-label (a third of a scatter's bytes); the report's tables carry the numbers.
    const vgSpec = compile(figure.spec, { config: { font: 'DejaVu Sans', background: 'white', aria: false } }).spec;
    // No loader access: every figure inlines its data, and a report must never reach the network.
    const loader = vega.loader({ mode: 'file' });
    loader.load = async () => {
      throw new Error('figures inline their data; loading is disabled');
    };
    const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', loader });
    try {
      svg = await view.toSVG();
    } finally {
      view.finalize();
    }
  } catch (e) {
    throw new BoltzflowError('IO', `Rendering figure '${figure.id}' failed: ${(e as Error).message}`);
  }
  svg = compactSvg(svg);
  const png = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: pngScale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  return { figure, svg, png: new Uint8Array(png) };
}

/**
 * Rounds the coordinates in path data and transforms to 2 decimals (a hundredth of a pixel), which halves a scatter's
 * SVG; text and labels are left alone.
 */
export function compactSvg(svg: string): string {
  return svg.replace(/ (d|transform)="([^"]*)"/g, (_, attr: string, v: string) => ` ${attr}="${v.replace(/(\d+\.\d\d)\d+/g, '$1')}"`);
}
