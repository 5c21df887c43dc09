// Bundles the editor into dist/editor.js and dist/editor.css. The output is committed and
// embedded in the server binary, so the build must be deterministic: same sources and lock file,
// same bytes (no timestamps, no absolute paths, no source maps).
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { dirname } from 'node:path'

const here = dirname(fileURLToPath(import.meta.url))

await build({
  absWorkingDir: here,
  entryPoints: { editor: 'src/main.js' },
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  charset: 'utf8',
  logLevel: 'warning',
  metafile: false
})
