/*
 * Builds ODK Web Forms into tincay's static assets (served under /static/webforms/).
 *
 * The output has content-hashed names and a manifest (manifest.json) that the C build reads
 * to learn the entry script and its style sheets. The fill page's Content-Security-Policy
 * admits no inline style without its nonce, so the <style> elements that the published
 * package would inject at run time without one (its component CSS, and the reset styles of
 * its Vue plugin) are moved into the emitted style sheet here; PrimeVue's own theme styles
 * carry the page's nonce (src/main.js). The package's interface literals become lookups of
 * the page's translations (ui-text.js).
 */
import { defineConfig } from 'vite';
import { odkStylesToFiles } from './odk-styles.js';
import { translatableUiText } from './ui-text.js';

export default defineConfig({
  base: '/static/webforms/',
  /* Output directory: TC_WEBFORMS_OUT_DIR from the CMake build, else dist/ for a manual run. */
  build: {
    outDir: process.env.TC_WEBFORMS_OUT_DIR || 'dist',
    /* The engine uses top-level await; these browsers (2022 on) run it. */
    target: ['chrome107', 'edge107', 'firefox104', 'safari16'],
    emptyOutDir: true,
    manifest: 'manifest.json',
    assetsDir: '',
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 4096,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: { fill: 'src/main.js' },
      /* The engine's Emscripten loader has an eval() for modules it never loads here. */
      onwarn(warning, warn) {
        if (warning.code !== 'EVAL') warn(warning);
      },
    },
  },
  plugins: [translatableUiText(), odkStylesToFiles()],
});
