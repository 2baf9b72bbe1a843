// Electron's main process: one window, the menus, the native dialogs, and the IPC channels that pass
// each call to handlers.ts (which validates it) and from there to the case worker thread. Nothing here
// reads evidence: the window's process only waits.
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, shell, type MenuItemConstructorOptions, type WebContents } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_METHODS, channelOf, EVENT_CHANNEL, type CommandEvent, type UnfoldEvent, type ViewName } from '../core/api';
import { CaseHost, defaultWorkerSpec } from './case-host';
import { createHandlers, dispatch, type Dialogs } from './handlers';
import { fileSettings } from './settings';
import { APP_CSP, APP_INDEX_URL, APP_SCHEME, appResponse, isAppPage } from './app-protocol';
import { applyContentsPolicy, applySessionPolicy, devToolsAllowed } from './electron-policy';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.join(here, '../renderer');

// the renderer's own origin (app://unfold), registered before the app is ready as Electron requires
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);
app.enableSandbox();
let win: BrowserWindow | null = null;

const send = (e: UnfoldEvent): void => {
  if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, e);
};
const command = (c: Omit<CommandEvent, 'type'>): void => send({ type: 'command', ...c });

const host = new CaseHost(defaultWorkerSpec(), send);

const dialogs: Dialogs = {
  async pickImage() {
    const r = await dialog.showOpenDialog(win!, {
      title: 'Open a memory image',
      properties: ['openFile'],
      filters: [
        { name: 'Memory images', extensions: ['raw', 'mem', 'bin', 'img', 'lime', 'elf', 'core', 'vmem', 'aff4', 'dmp'] },
        { name: 'All files', extensions: ['*'] },
      ],
    });
    return r.canceled ? null : (r.filePaths[0] ?? null);
  },
  async pickSymbols(kind) {
    const r = await dialog.showOpenDialog(win!, {
      title: kind === 'folder' ? 'Choose a folder of symbol tables' : 'Choose a symbol table (ISF)',
      properties: kind === 'folder' ? ['openDirectory'] : ['openFile'],
      filters: kind === 'folder' ? [] : [{ name: 'ISF symbol tables', extensions: ['json', 'xz'] }, { name: 'All files', extensions: ['*'] }],
    });
    return r.canceled ? null : (r.filePaths[0] ?? null);
  },
  showInFolder(p) {
    shell.showItemInFolder(p);
  },
  async pickExportFolder() {
    const r = await dialog.showOpenDialog(win!, { title: 'Export to folder', properties: ['openDirectory', 'createDirectory'] });
    return r.canceled ? null : (r.filePaths[0] ?? null);
  },
  async pickHitsFile(format) {
    const r = await dialog.showSaveDialog(win!, {
      title: 'Save hits',
      defaultPath: `unfold-hits.${format}`,
      filters: format === 'csv' ? [{ name: 'CSV', extensions: ['csv'] }] : [{ name: 'JSON', extensions: ['json'] }],
      // no overwrite prompt here: the app itself refuses an existing file unless "replace" is ticked
      properties: ['createDirectory'],
    });
    return r.canceled || !r.filePath ? null : r.filePath;
  },
};

const settings = fileSettings(path.join(app.getPath('userData'), 'settings.json'));
const handlers = createHandlers({ host, mode: 'electron', appVersion: app.getVersion(), dialogs, settings });

/** only our own window's top frame, showing our own page, may call */
function trusted(sender: WebContents, frameUrl: string | undefined): boolean {
  return win !== null && sender === win.webContents && isAppPage(frameUrl);
}

for (const method of API_METHODS) {
  ipcMain.handle(channelOf(method), (event, ...args: unknown[]) => {
    if (!trusted(event.sender, event.senderFrame?.url)) {
      return { ok: false, error: { code: 'BAD_ARGUMENT', message: `${method}: refused a call from an untrusted page` } };
    }
    return dispatch(handlers, method, args);
  });
}

function buildMenu(): void {
  const isMac = process.platform === 'darwin';
  const views: [string, ViewName][] = [
    ['Overview', 'overview'],
    ['Segments', 'segments'],
    ['Slots and Pages', 'slots'],
    ['Processes', 'processes'],
    ['Process Memory', 'memory'],
    ['Search', 'search'],
    ['Strings', 'strings'],
    ['Single-Value Pages', 'single'],
    ['Swapped-Out Segments', 'swapped'],
  ];
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        {
          label: 'Open Image…',
          accelerator: 'CmdOrCtrl+O',
          click: async () => {
            const p = await dialogs.pickImage();
            if (p) command({ command: 'open-image', path: p });
          },
        },
        {
          label: 'Open Symbols…',
          accelerator: 'CmdOrCtrl+Shift+O',
          click: async () => {
            const p = await dialogs.pickSymbols('file');
            if (p) command({ command: 'open-symbols', path: p });
          },
        },
        { label: 'Open Demo Case', click: () => command({ command: 'open-demo' }) },
        { type: 'separator' },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => command({ command: 'export' }) },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        ...views.map(([label, view], i): MenuItemConstructorOptions => ({
          label,
          accelerator: `CmdOrCtrl+${i + 1}`,
          click: () => command({ command: 'view', view }),
        })),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function lockDown(): void {
  const ses = session.defaultSession;
  protocol.handle(APP_SCHEME, async (req) => {
    const r = await appResponse(req.url, rendererDir);
    return new Response(r.body, { status: r.status, headers: r.headers });
  });
  // no remote content, and no file:// either: the renderer is app://unfold, the data comes over IPC
  ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'file://*/*'] }, (_d, cb) => cb({ cancel: true }));
  ses.webRequest.onHeadersReceived((d, cb) => cb({ responseHeaders: { ...d.responseHeaders, 'Content-Security-Policy': [APP_CSP] } }));
  // nothing but writing to the clipboard (the hex view's Copy buttons); no devices, no screen capture
  applySessionPolicy(ses);
  app.on('web-contents-created', (_e, contents) => {
    applyContentsPolicy(contents);
    contents.on('will-navigate', (e) => e.preventDefault());
    contents.on('will-redirect', (e) => e.preventDefault());
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

function createWindow(imageArg: string | null): void {
  win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 640,
    backgroundColor: '#15171c',
    title: 'Unfold',
    show: false,
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: devToolsAllowed(app.isPackaged),
    },
  });
  win.once('ready-to-show', () => win?.show());
  win.webContents.once('did-finish-load', () => {
    if (imageArg) command({ command: 'open-image', path: path.resolve(imageArg) });
    else command({ command: 'open-demo' });
  });
  win.on('closed', () => {
    win = null;
  });
  void win.loadURL(APP_INDEX_URL);
}

/** the image to open: the first argument after the app's own that is not a switch */
function imageFromArgs(argv: string[]): string | null {
  const rest = argv.slice(app.isPackaged ? 1 : 2).filter((a) => !a.startsWith('-'));
  return rest[0] ?? null;
}

app.whenReady().then(() => {
  lockDown();
  buildMenu();
  createWindow(imageFromArgs(process.argv));
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(null);
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let disposed = false;
app.on('before-quit', (e) => {
  if (disposed) return;
  e.preventDefault();
  disposed = true;
  void host.dispose().finally(() => app.quit());
});
