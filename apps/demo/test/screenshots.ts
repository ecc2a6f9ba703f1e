// Screenshots of the pages: checked to be not blank (distinct colours, decoded by Chromium itself), and
// written to docs/ (shown in the README) when PUSHWIRE_UPDATE_SCREENSHOTS=1, so an ordinary test run leaves
// the working tree alone.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';

const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));

/**
 * Runs in a page (any browser's `evaluate`): distinct colours of a base64 PNG, sampled every 7th pixel after
 * the browser itself decodes it.
 */
export async function distinctColours(b64: string): Promise<number> {
  const img = new Image();
  img.src = `data:image/png;base64,${b64}`;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(img, 0, 0);
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const seen = new Set<number>();
  for (let i = 0; i < data.length; i += 4 * 7)
    seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
  return seen.size;
}

/** Distinct colours in the PNG (sampled on a grid), decoded in a blank page. */
export async function checkNotBlank(browser: Browser, png: Buffer): Promise<number> {
  if (png.length < 5000) throw new Error(`screenshot is only ${png.length} bytes`);
  const page = await browser.newPage();
  try {
    return await page.evaluate(distinctColours, png.toString('base64'));
  } finally {
    await page.close();
  }
}

export async function saveScreenshot(name: string, png: Buffer): Promise<void> {
  if (process.env.PUSHWIRE_UPDATE_SCREENSHOTS !== '1') return;
  await mkdir(DOCS, { recursive: true });
  await writeFile(`${DOCS}demo-${name}.png`, png);
}
