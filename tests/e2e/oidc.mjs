// Signing in at the identity provider in real headless Chromium (Debian's package, driven by
// playwright-core): the test provider of tests/oidc-provider/ on 127.0.0.1, Samskriv on
// localhost (another site, as in production).
//
//   SAMSKRIV_E2E_OIDC_LOGIN=<the provider's user> SAMSKRIV_E2E_OIDC_NAME=<her name> \
//     node tests/e2e/oidc.mjs <baseUrl> <planId> <outDir>
//
// Run by tests/api/oidc.rs, which starts both. The person opens the plan (<planId>, of which
// she is a member), is sent to /login, presses «Logg inn med Testleverandør», signs in with the
// provider's own form and lands on the plan, signed in (her name in the account bar); axe-core
// (WCAG 2.1 A/AA) finds nothing on the login page. «Logg ut» ends her session and takes the
// browser to the provider's logout, which asks; after «Ja», the provider sends her back to
// Samskriv's login page, and the plan asks her to sign in again. The last line of standard
// output is a JSON summary; the exit code is 0 only when everything held.

import { fail, scenarioArgs, setUp, WAIT } from './harness.mjs'

const { baseUrl, planId, outDir } = scenarioArgs('node tests/e2e/oidc.mjs <baseUrl> <planId> <outDir> (with SAMSKRIV_E2E_OIDC_LOGIN and _NAME)')
const LOGIN = process.env.SAMSKRIV_E2E_OIDC_LOGIN || fail('SAMSKRIV_E2E_OIDC_LOGIN must name a user of the test provider')
const NAME = process.env.SAMSKRIV_E2E_OIDC_NAME || fail('SAMSKRIV_E2E_OIDC_NAME must be her name')
const PROVIDER = process.env.SAMSKRIV_E2E_OIDC_PROVIDER || 'Testleverandør'

const { check, newContext, watchErrors, shot, axeScan, finish } = await setUp({ outDir: `${outDir}/oidc`, summary: {} })

await finish(async () => {
  const context = await newContext({ viewport: { width: 1366, height: 768 } })
  const page = await context.newPage()
  page.setDefaultTimeout(WAIT)
  // A missing favicon (Samskriv's and the provider's) is the only 404 allowed: the console
  // message names no address, so the responses are watched for that.
  watchErrors(page, 'oidc', /status of 404/)
  const missing = []
  page.on('response', (response) => {
    if (response.status() === 404 && !/\/favicon\.ico$/.test(new URL(response.url()).pathname)) missing.push(response.url())
  })

  const planUrl = `${baseUrl}/plans/${planId}`
  await page.goto(planUrl)
  await page.waitForURL((url) => url.pathname === '/login')
  const button = page.getByRole('link', { name: `Logg inn med ${PROVIDER}` })
  await button.waitFor()
  await axeScan(page, 'the login page with the provider')
  await shot(page, 'login.png')
  check('the login page offers the provider')

  await button.click()
  await page.waitForURL((url) => url.pathname.startsWith('/interaction/'))
  if (new URL(page.url()).origin === new URL(baseUrl).origin) throw new Error('the provider is another site')
  await page.getByLabel('Bruker').fill(LOGIN)
  await shot(page, 'provider.png')
  await page.getByRole('button', { name: 'Logg inn' }).click()
  await page.waitForURL((url) => url.href === planUrl)
  await page.locator('.konto .innlogget').filter({ hasText: NAME }).waitFor()
  await shot(page, 'plan.png')
  check('signed in at the provider, back on the plan')

  await page.getByRole('button', { name: 'Logg ut' }).click()
  await page.waitForURL((url) => url.pathname.startsWith('/session/end'))
  await shot(page, 'provider-logout.png')
  check('signing out goes on to the provider')
  await page.getByRole('button', { name: 'Ja, logg meg ut' }).click()
  await page.waitForURL((url) => url.href.startsWith(`${baseUrl}/login`))
  await page.getByRole('link', { name: `Logg inn med ${PROVIDER}` }).waitFor()
  check('the provider sent her back to the login page')

  await page.goto(planUrl)
  await page.waitForURL((url) => url.pathname === '/login')
  check('signed out: the plan asks her to sign in again')
  if (missing.length) throw new Error(`not found: ${missing.join(', ')}`)
  await context.close()
})
