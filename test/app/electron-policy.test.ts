// The desktop app's rules without Electron: the app:// origin serves only the built renderer, only the
// app's own page counts as trusted, every permission but clipboard writing is refused, device pickers
// and screen capture are denied, and devTools exist only when running from source.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APP_CSP, APP_INDEX_URL, appResponse, isAppPage, resolveAppUrl } from '../../main/app-protocol';
import { allowPermissionCheck, allowPermissionRequest, applyContentsPolicy, applySessionPolicy, devToolsAllowed, type PolicyContents, type PolicySession } from '../../main/electron-policy';

let root: string;
beforeAll(() => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unfold-app-'));
  root = path.join(dir, 'renderer');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Unfold</title>');
  writeFileSync(path.join(root, 'assets', 'index-1.js'), 'export {}');
  writeFileSync(path.join(dir, 'secret.txt'), 'SECRET-OUTSIDE');
});
afterAll(() => rmSync(path.dirname(root), { recursive: true, force: true }));

describe('app:// protocol', () => {
  it('serves the renderer folder with the CSP, and nothing outside it', async () => {
    const index = await appResponse(APP_INDEX_URL, root);
    expect(index.status).toBe(200);
    expect(Buffer.from(index.body).toString()).toBe('<!doctype html><title>Unfold</title>');
    expect(index.headers).toMatchObject({ 'Content-Security-Policy': APP_CSP, 'Content-Type': 'text/html; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    const js = await appResponse('app://unfold/assets/index-1.js', root);
    expect([js.status, js.headers['Content-Type']]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await appResponse('app://unfold/', root)).status).toBe(200);
    for (const u of ['app://unfold/../secret.txt', 'app://unfold/%2e%2e/secret.txt', 'app://unfold/assets/..%2f..%2fsecret.txt', 'app://unfold/nope.js', 'app://other/index.html']) {
      const r = await appResponse(u, root);
      expect(r.status, u).toBe(404);
      expect(String(r.body)).not.toContain('SECRET-OUTSIDE');
    }
    expect(resolveAppUrl('app://unfold/%E0%A4%A', root)).toEqual({ status: 400, reason: 'malformed % escape' });
    expect(resolveAppUrl('app://unfold/a%00b', root)).toEqual({ status: 400, reason: 'NUL in the address' });
  });

  it('trusts only the app page itself', () => {
    expect(isAppPage(APP_INDEX_URL)).toBe(true);
    expect(isAppPage('app://unfold/index.html#/search')).toBe(true);
    for (const u of ['file:///x/out/renderer/index.html', 'app://evil/index.html', 'https://unfold/index.html', 'app://unfold/other.html', undefined, 'not a url']) {
      expect(isAppPage(u), String(u)).toBe(false);
    }
  });
});

describe('Electron permission policy', () => {
  const every = ['media', 'display-capture', 'geolocation', 'notifications', 'midi', 'midiSysex', 'pointerLock', 'fullscreen', 'openExternal', 'hid', 'serial', 'usb', 'clipboard-read', 'idle-detection', 'fileSystem', 'storage-access', 'window-management', 'speaker-selection', 'keyboardLock', 'unknown'];

  it('grants nothing but clipboard writing, and that only to the app page', () => {
    for (const p of every) {
      expect(allowPermissionRequest(p, APP_INDEX_URL), p).toBe(false);
      expect(allowPermissionCheck(p, 'app://unfold'), p).toBe(false);
    }
    expect(allowPermissionRequest('clipboard-sanitized-write', APP_INDEX_URL)).toBe(true);
    expect(allowPermissionCheck('clipboard-sanitized-write', 'app://unfold')).toBe(true);
    expect(allowPermissionRequest('clipboard-sanitized-write', 'https://example.com/')).toBe(false);
    expect(allowPermissionCheck('clipboard-sanitized-write', 'file://')).toBe(false);
  });

  it('installs handlers that deny permissions, devices and screen capture, and cancel device pickers', () => {
    const set: Record<string, (...a: never[]) => unknown> = {};
    const on: Record<string, (...a: never[]) => unknown> = {};
    const ses = {
      setPermissionRequestHandler: (h: never) => (set.request = h),
      setPermissionCheckHandler: (h: never) => (set.check = h),
      setDevicePermissionHandler: (h: never) => (set.device = h),
      setDisplayMediaRequestHandler: (h: never) => (set.display = h),
      on: (event: string, l: never) => (on[event] = l),
    } as unknown as PolicySession;
    applySessionPolicy(ses);
    expect(Object.keys(set).sort()).toEqual(['check', 'device', 'display', 'request']);
    expect(Object.keys(on).sort()).toEqual(['select-hid-device', 'select-serial-port', 'select-usb-device']);

    const answers: unknown[] = [];
    const request = set.request as unknown as (wc: unknown, p: string, cb: (g: boolean) => void, d: { requestingUrl?: string }) => void;
    for (const p of ['media', 'display-capture', 'hid', 'usb', 'serial', 'geolocation', 'notifications']) request(null, p, (g) => answers.push([p, g]), { requestingUrl: APP_INDEX_URL });
    request(null, 'clipboard-sanitized-write', (g) => answers.push(['clipboard-sanitized-write', g]), { requestingUrl: APP_INDEX_URL });
    expect(answers).toEqual([
      ['media', false], ['display-capture', false], ['hid', false], ['usb', false], ['serial', false], ['geolocation', false], ['notifications', false],
      ['clipboard-sanitized-write', true],
    ]);
    const check = set.check as unknown as (wc: unknown, p: string, origin: string) => boolean;
    expect(check(null, 'media', 'app://unfold')).toBe(false);
    expect((set.device as unknown as (d: unknown) => boolean)({ deviceType: 'usb', origin: 'app://unfold' })).toBe(false);

    const streams: unknown[] = [];
    (set.display as unknown as (r: unknown, cb: (s: unknown) => void) => void)({ frame: null }, (s) => streams.push(s));
    expect(streams).toEqual([{}]);

    for (const event of ['select-hid-device', 'select-usb-device']) {
      let prevented = false;
      const got: unknown[][] = [];
      (on[event] as unknown as (e: unknown, d: unknown, cb: (...a: unknown[]) => void) => void)({ preventDefault: () => (prevented = true) }, { deviceList: [{ deviceId: '1' }] }, (...a) => got.push(a));
      expect([event, prevented, got]).toEqual([event, true, [[]]]);
    }
    let prevented = false;
    const port: unknown[][] = [];
    (on['select-serial-port'] as unknown as (e: unknown, l: unknown, wc: unknown, cb: (...a: unknown[]) => void) => void)({ preventDefault: () => (prevented = true) }, [{ portId: 'a' }], null, (...a) => port.push(a));
    expect([prevented, port]).toEqual([true, [['']]]);
  });

  it('cancels the Bluetooth device picker of every window', () => {
    let listener: ((e: unknown, devices: unknown, cb: (id: string) => void) => void) | null = null;
    applyContentsPolicy({ on: (_e: string, l: never) => (listener = l) } as unknown as PolicyContents);
    let prevented = false;
    const chosen: string[] = [];
    listener!({ preventDefault: () => (prevented = true) }, [{ deviceId: 'aa:bb' }], (id) => chosen.push(id));
    expect([prevented, chosen]).toEqual([true, ['']]);
  });

  it('devTools only when not packaged', () => {
    expect(devToolsAllowed(true)).toBe(false);
    expect(devToolsAllowed(false)).toBe(true);
  });
});
