// What the desktop app's renderer may ask of the browser engine: nothing but writing to the clipboard
// (the hex view's Copy buttons), and that only from the app's own page. Cameras, microphones, screen
// capture, USB/HID/serial/Bluetooth devices, notifications, geolocation and the rest are refused, and
// device pickers are cancelled before they show. Written against the few Session methods it uses, so the
// rules are tested without Electron (test/app/electron-policy.test.ts); main/index.ts applies them.
import { APP_ORIGIN, isAppPage } from './app-protocol';

export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

/** a permission request (requestingUrl: the page's URL) */
export function allowPermissionRequest(permission: string, requestingUrl: string | undefined): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isAppPage(requestingUrl);
}

/** a permission check (requestingOrigin: the page's origin) */
export function allowPermissionCheck(permission: string, requestingOrigin: string | undefined): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && requestingOrigin === APP_ORIGIN;
}

/** devTools only when running from source (`npm start`), never in a packaged build */
export function devToolsAllowed(isPackaged: boolean): boolean {
  return !isPackaged;
}

type Cb<A extends unknown[]> = (...a: A) => void;
interface Preventable {
  preventDefault(): void;
}

/** the part of Electron's Session the policy sets */
export interface PolicySession {
  setPermissionRequestHandler(h: (wc: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl?: string }) => void): void;
  setPermissionCheckHandler(h: (wc: unknown, permission: string, requestingOrigin: string, details: unknown) => boolean): void;
  setDevicePermissionHandler(h: (details: unknown) => boolean): void;
  setDisplayMediaRequestHandler(h: (request: unknown, callback: (streams: Record<string, never>) => void) => void): void;
  on(event: 'select-hid-device' | 'select-usb-device', listener: (e: Preventable, details: unknown, callback: Cb<[string?]>) => void): unknown;
  on(event: 'select-serial-port', listener: (e: Preventable, portList: unknown, wc: unknown, callback: Cb<[string]>) => void): unknown;
}

/** the part of WebContents the policy sets */
export interface PolicyContents {
  on(event: 'select-bluetooth-device', listener: (e: Preventable, devices: unknown, callback: Cb<[string]>) => void): unknown;
}

export function applySessionPolicy(ses: PolicySession): void {
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(allowPermissionRequest(permission, details?.requestingUrl)));
  ses.setPermissionCheckHandler((_wc, permission, origin) => allowPermissionCheck(permission, origin));
  // WebHID / WebUSB / Web Serial: no device is ever granted, and the pickers are cancelled
  ses.setDevicePermissionHandler(() => false);
  ses.on('select-hid-device', (e, _details, callback) => {
    e.preventDefault();
    callback();
  });
  ses.on('select-usb-device', (e, _details, callback) => {
    e.preventDefault();
    callback();
  });
  ses.on('select-serial-port', (e, _ports, _wc, callback) => {
    e.preventDefault();
    callback('');
  });
  // getDisplayMedia: answering with no stream refuses the capture
  ses.setDisplayMediaRequestHandler((_request, callback) => callback({}));
}

export function applyContentsPolicy(contents: PolicyContents): void {
  contents.on('select-bluetooth-device', (e, _devices, callback) => {
    e.preventDefault();
    callback('');
  });
}
