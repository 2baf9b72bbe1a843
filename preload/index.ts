// Exposes the UnfoldApi to the sandboxed renderer as window.unfold: one invoke per method, the event
// stream, and the path of a dropped file. No logic here; main validates everything it receives.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { API_METHODS, channelOf, EVENT_CHANNEL, type UnfoldBridge, type UnfoldEvent } from '../core/api';

const api: Record<string, unknown> = {};
for (const m of API_METHODS) api[m] = (...args: unknown[]) => ipcRenderer.invoke(channelOf(m), ...args);
api.onEvent = (listener: (e: UnfoldEvent) => void) => {
  const h = (_e: unknown, ev: UnfoldEvent) => listener(ev);
  ipcRenderer.on(EVENT_CHANNEL, h);
  return () => {
    ipcRenderer.removeListener(EVENT_CHANNEL, h);
  };
};
api.pathForFile = (file: File) => webUtils.getPathForFile(file);

contextBridge.exposeInMainWorld('unfold', api as unknown as UnfoldBridge);
