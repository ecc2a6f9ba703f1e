// Writes the page scripts into dist/public/assets/ (run by the root `npm run build`, hence by `npm install`).
import { mkdir, writeFile } from 'node:fs/promises';
import { BUILT_ASSETS_DIR, buildPageBundles } from '../src/server/assets.js';

const bundles = await buildPageBundles(true);
await mkdir(BUILT_ASSETS_DIR, { recursive: true });
for (const [name, code] of bundles) {
  await writeFile(`${BUILT_ASSETS_DIR}${name}.js`, code);
  console.log(`apps/demo/dist/public/assets/${name}.js ${code.length} bytes`);
}
