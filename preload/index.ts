// Exposes the UnfoldApi to the sandboxed renderer as window.unfold: one invoke per method, the event
// stream, and the path of a dropped file. No logic here; main validates everything it receives.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { API_METHODS, CHANNELS, type UnfoldBridge, type UnfoldEvent } from '../core/api';

const api: Record<string, unknown> = {};
for (const m of API_METHODS) api[m] = (...args: unknown[]) => ipcRenderer.invoke(CHANNELS[m], ...args);
api.onEvent = (listener: (e: UnfoldEvent) => void) => {
  const h = (_e: unknown, ev: UnfoldEvent) => listener(ev);
  ipcRenderer.on(CHANNELS.event, h);
  return () => {
    ipcRenderer.removeListener(CHANNELS.event, h);
  };
};
api.pathForFile = (file: File) => webUtils.getPathForFile(file);

contextBridge.exposeInMainWorld('unfold', api as unknown as UnfoldBridge);
