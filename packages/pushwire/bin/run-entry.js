// How the repository's bins start (the pushwire CLI, the demo's `npm start`), in this one process (no child
// process: a signal sent to it stops the server). A published package, or the clone after `npm install` (its
// `prepare` builds), runs the compiled dist/. Inside the repository without a build, or asked to
// (PUSHWIRE_FROM_SOURCE=1, or the `pushwire-source` condition), it runs the TypeScript sources through tsx
// registered in-process: tsx is a devDependency of the repository, never needed by a published package.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * Imports `built` (compiled) or `source` (TypeScript, through tsx) and runs its `main(argv)`; a number it
 * returns is the exit code. `name` prefixes the message when neither can run.
 * @param {{ name: string, built: string, source: string, argv: string[] }} entry
 */
export async function runEntry({ name, built, source, argv }) {
  // Under the `pushwire-source` condition, `@pushwire/*` resolve to TypeScript sources, which compiled code
  // cannot load: run from source then too.
  const sourceCondition = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) =>
    a.includes('pushwire-source'),
  );
  let mod;
  if (existsSync(built) && !sourceCondition && !process.env.PUSHWIRE_FROM_SOURCE) {
    mod = await import(pathToFileURL(built).href);
  } else {
    let tsx;
    try {
      tsx = await import('tsx/esm/api');
    } catch {
      process.stderr.write(
        `${name}: ${built} is missing and tsx (to run the sources) is not installed: run \`npm run build\`.\n`,
      );
      process.exit(1);
    }
    // tsx compiles the TypeScript; the hook registered after it runs first and adds the source condition.
    tsx.register();
    const { register: registerHook } = await import('node:module');
    registerHook('./source-conditions.mjs', import.meta.url);
    mod = await import(pathToFileURL(source).href);
  }
  const code = await mod.main(argv);
  if (typeof code === 'number') process.exitCode = code;
}
