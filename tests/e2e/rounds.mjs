// A status round in real headless Chromium (Debian's package, driven by playwright-core): a unit
// editor reports on a phone, the coordinator follows the overview and closes the round.
//
//   SAMSKRIV_E2E_COORDINATOR=email:password SAMSKRIV_E2E_EDITOR=email:password \
//   SAMSKRIV_E2E_ROUND=<round id> \
//     node tests/e2e/rounds.mjs <baseUrl> <planId> <outDir>
//
// <planId> is adopted and has an open round <round id>; the editor belongs to a unit responsible
// for some of its tiltak. At 390×844 the editor opens the round: she sees her unit's tiltak only,
// each with a form; «Utsatt» without a comment is refused beside the comment field
// (aria-invalid, aria-describedby), then saved with a comment (role=status). The coordinator sees
// the overview tables by unit and by group, at 390 px without sideways scrolling (the tables
// scroll in their own boxes), and closes the round (role=status). axe-core (WCAG 2.1 A/AA) finds
// nothing on any of these pages. The last line of standard output is a JSON summary; the exit
// code is 0 only when everything held.

import { credentials, fail, scenarioArgs, setUp, WAIT } from './harness.mjs'

const { baseUrl, planId, outDir } = scenarioArgs('node tests/e2e/rounds.mjs <baseUrl> <planId> <outDir> (with SAMSKRIV_E2E_COORDINATOR, _EDITOR and _ROUND)')

const COORDINATOR = credentials('SAMSKRIV_E2E_COORDINATOR')
const EDITOR = credentials('SAMSKRIV_E2E_EDITOR')
const ROUND = process.env.SAMSKRIV_E2E_ROUND || fail('SAMSKRIV_E2E_ROUND must be the id of an open status round of the plan')

const { summary, check, newContext, watchErrors, shot, axeScan, finish } = await setUp({
  outDir, summary: { editor_forms: null }
})

const PHONE = { width: 390, height: 844 }
const LAPTOP = { width: 1366, height: 768 }
const roundUrl = `${baseUrl}/plans/${planId}/statusrunder/${ROUND}`
const REASON = 'Venter på nye stillinger'

async function signIn (label, { email, password }, viewport) {
  const context = await newContext({ viewport, locale: 'nb-NO', timezoneId: 'Europe/Oslo' })
  const page = await context.newPage()
  // The refused form answers 422 by design, and the browser asks for a favicon there is not (404).
  watchErrors(page, label, /favicon|status of (404|422)/)
  await page.goto(`${baseUrl}/login`)
  await page.locator('#email').fill(email)
  await page.locator('#password').fill(password)
  await Promise.all([
    page.waitForURL((url) => new URL(url).pathname === '/', { timeout: WAIT }).catch(() => {
      throw new Error(`${label} (${email}) was not signed in: after «Logg inn» the page is ${page.url()}`)
    }),
    page.getByRole('button', { name: 'Logg inn' }).click()
  ])
  return { context, page }
}

/** Fails when the page is wider than the window (it would scroll sideways). */
async function fits (page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  if (overflow > 0) throw new Error(`at ${page.viewportSize().width} px ${what} scrolls sideways by ${overflow} px`)
}

async function run () {
  // The unit editor reports on her phone.
  const editor = await signIn('the editor', EDITOR, PHONE)
  const e = editor.page
  await e.goto(roundUrl)
  const cards = e.locator('article.runde-tiltak')
  const forms = e.locator('article.runde-tiltak form')
  summary.editor_forms = await forms.count()
  if (summary.editor_forms === 0 || summary.editor_forms !== await cards.count()) {
    throw new Error(`the editor sees ${await cards.count()} tiltak and ${summary.editor_forms} forms`)
  }
  await fits(e, 'the round page (editor)')
  await axeScan(e, 'the round page for an editor at 390 px')
  check(`the editor sees her unit's ${summary.editor_forms} tiltak, each with a form; 390 px, axe finds nothing`)

  const card = cards.first()
  const id = (await card.getAttribute('id')).replace(/^tiltak-/, '')
  await card.locator(`[id="status-${id}"]`).selectOption('utsatt')
  await card.locator(`[id="kommentar-${id}"]`).fill('')
  await card.getByRole('button', { name: /^Lagre status/ }).click()
  const comment = e.locator(`[id="kommentar-${id}"]`)
  await e.locator(`[id="kommentar-${id}-feil"]`).waitFor({ timeout: WAIT })
  if (await comment.getAttribute('aria-invalid') !== 'true') throw new Error('the refused comment field is not aria-invalid')
  if (!(await comment.getAttribute('aria-describedby')).includes(`kommentar-${id}-feil`)) throw new Error('the refused comment field does not point to its error')
  if (await e.locator(`[id="status-${id}"]`).inputValue() !== 'utsatt') throw new Error('the refused form lost the chosen status')
  await fits(e, 'the refused form')
  await axeScan(e, 'a refused status form at 390 px')
  check(`«Utsatt» without a comment: «${(await e.locator(`[id="kommentar-${id}-feil"]`).textContent()).trim()}» beside the field`)

  await comment.fill(REASON)
  await e.locator(`[id="tiltak-${id}"]`).getByRole('button', { name: /^Lagre status/ }).click()
  const saved = e.locator('p.bekreftelse[role="status"]')
  await saved.waitFor({ timeout: WAIT })
  if (!/er lagret\./.test(await saved.textContent())) throw new Error(`after «Lagre status» the page says «${await saved.textContent()}»`)
  await e.locator(`[id="tiltak-${id}"]`).scrollIntoViewIfNeeded()
  await shot(e, 'statusrunde-redaktor-390.png')
  check(`saved: «${(await saved.textContent()).trim()}» (role=status)`)
  await editor.context.close()

  // The coordinator's overview, on a laptop and a phone; then «Lukk runden».
  const coordinator = await signIn('the coordinator', COORDINATOR, LAPTOP)
  const c = coordinator.page
  for (const viewport of [LAPTOP, PHONE]) {
    await c.setViewportSize(viewport)
    await c.goto(`${baseUrl}/plans/${planId}/statusrunder`)
    await fits(c, 'the rounds page')
    await axeScan(c, `the rounds page at ${viewport.width} px`)
    await c.goto(roundUrl)
    for (const caption of ['Per enhet', 'Per gruppe']) {
      if (await c.getByRole('table', { name: caption }).count() !== 1) throw new Error(`no table «${caption}» on the coordinator's round page`)
    }
    await fits(c, 'the round page (coordinator)')
    await axeScan(c, `the coordinator's round page at ${viewport.width} px`)
    if (viewport === PHONE) await shot(c, 'statusrunde-oversikt-390.png')
  }
  check('the coordinator sees the overview by unit and by group; 390 and 1366 px, axe finds nothing')
  await c.getByRole('button', { name: 'Lukk runden' }).click()
  const closed = c.locator('p.bekreftelse[role="status"]')
  await closed.waitFor({ timeout: WAIT })
  if (!/er lukket/.test(await closed.textContent())) throw new Error(`after «Lukk runden» the page says «${await closed.textContent()}»`)
  if (await c.locator('article.runde-tiltak form').count() !== 0) throw new Error('a closed round still has forms')
  await axeScan(c, 'a closed round at 390 px')
  check(`closed: «${(await closed.textContent()).trim()}» (role=status), no forms left`)
  await coordinator.context.close()
}

await finish(run)
