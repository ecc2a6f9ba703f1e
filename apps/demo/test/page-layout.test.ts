// The page shells: public/layout.html around each page's <main>. What a page looks like is in the browser
// tests; these check the assembly (title, script, the current page marked, <main> untouched).
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { PUBLIC_DIR } from '../src/server/assets.js';
import { PAGES, renderPage } from '../src/server/pages.js';

describe('renderPage', () => {
  it('puts each page in the layout: its title, its script, its nav link marked, its <main>', async () => {
    const layout = await readFile(`${PUBLIC_DIR}layout.html`, 'utf8');
    for (const [path, page] of Object.entries(PAGES)) {
      const main = await readFile(`${PUBLIC_DIR}${page.file}`, 'utf8');
      const html = renderPage(layout, path, main);
      expect(html).toMatch(/^<!doctype html>\n/);
      expect(html).toContain(`<title>${page.title}</title>`);
      expect(html).toContain(`<script src="/assets/${page.bundle}.js" type="module"></script>`);
      expect(html).toContain(`<body data-page="${page.bundle}" data-bayeux="/bayeux">`);
      expect(html.match(/aria-current="page"/g)).toHaveLength(1);
      expect(html).toContain(`<a href="${path}" aria-current="page">${page.label}</a>`);
      expect(html).toContain(main.trimEnd());
      expect(html).not.toContain('{{');
    }
  });

  it('keeps a $ in the markup as written (no replacement patterns)', () => {
    const html = renderPage('{{main}}|{{title}}', '/chat', "  <main>$& $' $$</main>\n");
    expect(html).toBe("  <main>$& $' $$</main>|Chat · pushwire demo");
  });
});
