// The `pushwire` dispatcher: --version, help, unknown commands with a suggestion, shared defaults.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { version } from '../src/cli.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../src/commands/options.js';
import { editDistance, nearest } from '../src/suggest.js';
import { killAll, run } from './helpers/cli.js';

afterEach(killAll);

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('pushwire CLI', () => {
  it('--version and -v print the package version', async () => {
    expect(version()).toBe(pkg.version);
    for (const flag of ['--version', '-v']) {
      const r = await run([flag]);
      expect(r).toEqual({ code: 0, out: `${pkg.version}\n`, err: '' });
    }
  });

  it('help serve, serve --help and help echo print the command help; both document the same defaults', async () => {
    const serve = await run(['help', 'serve']);
    expect(serve.code).toBe(0);
    expect(serve.out).toMatch(/^Run a Bayeux 1.0 server/);
    expect((await run(['serve', '--help'])).out).toBe(serve.out);
    const echo = await run(['help', 'echo']);
    expect(echo.code).toBe(0);
    for (const help of [serve.out, echo.out]) {
      expect(help).toContain(`--port N             port to listen on (default ${DEFAULT_PORT};`);
      expect(help).toContain(`--host H             address to bind (default ${DEFAULT_HOST};`);
    }
    expect(DEFAULT_PORT).toBe(8000);
    expect(DEFAULT_HOST).toBe('127.0.0.1');
    expect(serve.out).toContain('--cors ORIGIN');
    expect(serve.out).toContain('--max-sessions-per-browser N');
  });

  it('no command, --help and help list the commands and exit 0', async () => {
    const r = await run([]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: pushwire <command> [options]');
    expect(r.out).toMatch(/ {2}echo {5}Run a WebSocket echo server/);
    expect(r.out).toMatch(/ {2}serve {4}Run a Bayeux 1.0 server/);
    expect(r.out).toContain('--version');
    expect((await run(['help'])).out).toBe(r.out);
  });

  it.each([
    ['srve', "pushwire: unknown command 'srve'. Did you mean 'serve'?"],
    ['sever', "pushwire: unknown command 'sever'. Did you mean 'serve'?"],
    ['ech', "pushwire: unknown command 'ech'. Did you mean 'echo'?"],
    ['bench', "pushwire: unknown command 'bench'."],
  ])('an unknown command %s exits 2 and suggests the nearest one', async (name, line) => {
    const r = await run([name]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`${line}\nRun 'pushwire --help' for the commands.\n`);
  });

  it('help of an unknown command is an unknown command', async () => {
    const r = await run(['help', 'serv']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("Did you mean 'serve'?");
  });

  it('echo: a bad value names its option', async () => {
    const r = await run(['echo', '--port', 'x']);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('pushwire echo: --port: expected an integer 0-65535, got "x"');
  });
});

describe('editDistance / nearest', () => {
  it.each([
    ['', '', 0],
    ['serve', 'serve', 0],
    ['srve', 'serve', 1],
    ['sever', 'serve', 2],
    ['kitten', 'sitting', 3],
    ['', 'echo', 4],
  ])('%j -> %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it('suggests only what is within 2 edits and shorter than the input', () => {
    expect(nearest('SERVE', ['echo', 'serve'])).toBe('serve');
    expect(nearest('ecoh', ['echo', 'serve'])).toBe('echo');
    expect(nearest('x', ['echo', 'serve'])).toBeUndefined();
    expect(nearest('es', ['echo', 'serve'])).toBeUndefined();
    expect(nearest('deploy', ['echo', 'serve'])).toBeUndefined();
  });
});
