// Which view is shown. Navigation is state, not URLs: the app has one window and no routes to share.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ViewName } from '../../../core/api';

export type Screen = ViewName | 'open';

export const useUi = defineStore('ui', () => {
  const view = ref<Screen>('open');
  const show = (v: Screen) => {
    view.value = v;
  };
  return { view, show };
});
