// What the browser scenarios (tests/e2e/editor.mjs, tests/e2e/comments.mjs) share: the command
// line, Debian's Chromium driven by playwright-core, axe-core, waiting in a page, checks,
// screenshots and the JSON summary that is the last line of standard output.
//
// Nothing here runs on import: a scenario first reads its command line (`scenarioArgs`) and its
// own settings, then calls `setUp`, which finds Chromium and the packages (or fails with how to
// install them) and starts the browser, and ends with `finish(run)`.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const require = createRequire(import.meta.url)

/** How long to wait for anything in a page, in milliseconds. */
export const WAIT = 20_000

/** A common laptop screen (and 1280×720's neighbour): the tiltak table must work at this size. */
export const LAPTOP = { width: 1366, height: 768 }

/** Stops the scenario before it starts: a message on standard error, exit code 1. */
export function fail (message) {
  console.error(`FAIL: ${message}`)
  process.exit(1)
}

/** `<baseUrl> <planId> <outDir>` from the command line; without them, fails with `usage`. */
/** The sign-in in the environment variable `name` ("email:password"); fails without one. */
export function credentials (name) {
  const value = process.env[name]
  const at = value ? value.indexOf(':') : -1
  if (!value || at <= 0) fail(`${name} must be set to "email:password" of an account that is a member of the plan`)
  return { email: value.slice(0, at), password: value.slice(at + 1) }
}

export function scenarioArgs (usage) {
  const [baseUrl, planId, outDir] = process.argv.slice(2)
  if (!baseUrl || !planId || !outDir) fail(`usage: ${usage}`)
  return { baseUrl, planId, outDir }
}

/** Waits until `fn(arg)` is true in the page; on timeout the error names `what`. */
export async function waitFor (page, fn, arg, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout: WAIT, polling: 50 })
  } catch (error) {
    throw new Error(`timed out waiting for ${what}: ${error.message.split('\n')[0]}`)
  }
}

/**
 * Finds Chromium (SAMSKRIV_CHROMIUM, else /usr/bin/chromium) and the test packages, creates
 * `outDir` and starts the browser. `summary` holds the scenario's own summary fields, placed
 * after `ok`. Returns the browser and the helpers that write to the summary.
 */
export async function setUp ({ outDir, summary: own = {} }) {
  const CHROMIUM = process.env.SAMSKRIV_CHROMIUM || '/usr/bin/chromium'
  if (!existsSync(CHROMIUM)) {
    fail(`Chromium not found at ${CHROMIUM}: install it with \`apt-get update && apt-get install -y chromium\` (or set SAMSKRIV_CHROMIUM)`)
  }
  let chromium
  let axeSource
  try {
    ({ chromium } = await import('playwright-core'))
    axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')
  } catch (error) {
    fail(`the test packages are missing: run \`npm ci --prefix tests/e2e\` (${error.message})`)
  }

  mkdirSync(outDir, { recursive: true })
  const summary = { ok: false, ...own, screenshots: [], metrics: {}, checks: [] }
  const pageErrors = []

  const check = (name) => { summary.checks.push(name); console.log(`ok - ${name}`) }

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })

  /** A new browser context; with SAMSKRIV_E2E_DIST, the editor bundle is served from there. */
  async function newContext (options) {
    const context = await browser.newContext(options)
    if (process.env.SAMSKRIV_E2E_DIST) {
      // Development aid: serve the bundle from disk instead of the one embedded in the server.
      const dist = process.env.SAMSKRIV_E2E_DIST
      await context.route('**/static/editor.js', (r) => r.fulfill({ path: join(dist, 'editor.js'), contentType: 'text/javascript' }))
      await context.route('**/static/editor.css', (r) => r.fulfill({ path: join(dist, 'editor.css'), contentType: 'text/css' }))
    }
    return context
  }

  /** Collects the page's errors, and console errors not matching `ignore`, for the end. */
  function watchErrors (page, label, ignore) {
    page.on('pageerror', (error) => pageErrors.push(`${label}: ${error.message}`))
    page.on('console', (msg) => { if (msg.type() === 'error' && !ignore.test(msg.text())) pageErrors.push(`${label} console: ${msg.text()}`) })
  }

  async function shot (page, file) {
    const path = join(outDir, file)
    await page.screenshot({ path, fullPage: false })
    summary.screenshots.push(path)
  }

  /** axe-core, WCAG 2.1 A and AA, on the page as it is: any violation is listed and thrown. */
  async function axeScan (page, what) {
    // Evaluated through the DevTools protocol: the site's Content-Security-Policy refuses inline
    // script tags, this one included.
    await page.evaluate(axeSource)
    const result = await page.evaluate(async () => window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations']
    }))
    summary.metrics.axeViolations = (summary.metrics.axeViolations || 0) + result.violations.length
    if (result.violations.length > 0) {
      for (const v of result.violations) {
        console.error(`axe (${what}): ${v.id} (${v.impact}): ${v.help}\n  ${v.helpUrl}`)
        for (const node of v.nodes.slice(0, 8)) console.error(`  - ${node.target.join(' ')}\n    ${node.failureSummary.replace(/\n/g, '\n    ')}\n    ${node.html.slice(0, 200)}`)
      }
      throw new Error(`axe found ${result.violations.length} kinds of WCAG 2.1 AA violations on ${what} (listed above)`)
    }
  }

  /**
   * Runs the story, then closes the browser, writes <outDir>/summary.json, prints the summary as
   * the last line and exits: 0 only when the story held and no page had errors.
   */
  async function finish (run) {
    try {
      await run()
      if (pageErrors.length) throw new Error(`errors in the pages:\n${pageErrors.join('\n')}`)
      summary.ok = true
    } catch (error) {
      summary.error = error.message
      console.error(`FAIL: ${error.stack || error.message}`)
      if (pageErrors.length) console.error(`page errors:\n${pageErrors.join('\n')}`)
    } finally {
      await browser.close().catch(() => {})
      writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2))
      console.log(JSON.stringify(summary))
      process.exit(summary.ok ? 0 : 1)
    }
  }

  return { browser, summary, check, newContext, watchErrors, shot, axeScan, finish }
}
