import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Path of a chromium binary, or undefined (the browser test is then skipped with a message). */
export function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const p = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch {
      // not on PATH
    }
  }
  return undefined;
}

export interface PageCheck {
  figures: { id: string; width: number; height: number; marks: number }[];
  requests: string[];
  screenshot: string;
}

/**
 * Opens report.html in headless Chromium (network blocked), screenshots it into `shotDir`, and measures every
 * figure's SVG: rendered size and the number of drawn Vega marks.
 */
export async function checkReportInBrowser(executablePath: string, htmlFile: string, shotDir: string): Promise<PageCheck> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
    const figures = await page.$$eval('figure.plot', (els) =>
      els.map((el) => {
        const svg = el.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const marks = svg
          ? Array.from(svg.querySelectorAll('g[class*="mark-"]')).reduce((n, g) => n + g.querySelectorAll('path, line, rect, text').length, 0)
          : 0;
        return { id: el.getAttribute('data-figure-id') ?? '', width: box?.width ?? 0, height: box?.height ?? 0, marks };
      }),
    );
    const screenshot = path.join(shotDir, 'report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    return { figures, requests, screenshot };
  } finally {
    await browser.close();
  }
}
