// The vitest environment of the unit tests: Node, with the modules compiled and resolved as for
// the window (Vite's client environment), so that Svelte runes, $effect and createSubscriber
// behave in tests as in the app. There is no DOM: tests do not mount components.
import type { Environment } from 'vitest/environments';

export default {
  name: 'svelte-client',
  viteEnvironment: 'client',
  setup() {
    return { teardown() {} };
  },
} satisfies Environment;
