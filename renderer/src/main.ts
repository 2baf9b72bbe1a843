import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import './styles.css';
import { api } from './api/client';
import { useCase } from './stores/case';
import { useSearch } from './stores/search';
import { useStrings } from './stores/strings';
import { useExport } from './stores/export';
import { useProcesses } from './stores/processes';
import { useUi } from './stores/ui';

const pinia = createPinia();
const app = createApp(App);
app.use(pinia);

// one subscription; each store keeps only the events of its own current request
const caseStore = useCase();
const search = useSearch();
const strs = useStrings();
const exp = useExport();
const procs = useProcesses();
const ui = useUi();
api().onEvent((e) => {
  if (e.type === 'command') {
    if (e.command === 'open-image' && e.path) void caseStore.openImage(e.path, caseStore.symbolsPath || undefined);
    else if (e.command === 'open-symbols' && e.path) {
      caseStore.symbolsPath = e.path;
      ui.show('open');
    } else if (e.command === 'open-demo') void caseStore.openDemo();
    else if (e.command === 'export' && caseStore.info) ui.show('export');
    else if (e.command === 'view' && e.view && caseStore.info) ui.show(e.view);
    return;
  }
  caseStore.onEvent(e);
  search.onEvent(e);
  strs.onEvent(e);
  exp.onEvent(e);
  procs.onEvent(e);
});

app.mount('#app');
void caseStore.init();
