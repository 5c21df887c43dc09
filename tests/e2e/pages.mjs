// Every page of a plan on a phone (390×844) and a laptop (1366×768), and access taken away
// while the plan is open, in real headless Chromium (Debian's package, driven by
// playwright-core).
//
//   SAMSKRIV_E2E_COORDINATOR=email:password SAMSKRIV_E2E_EDITOR=email:password \
//   SAMSKRIV_E2E_LOWERED=email:password SAMSKRIV_E2E_ADVISER=email:password \
//   SAMSKRIV_E2E_NEWCOMER=email \
//     node tests/e2e/pages.mjs <baseUrl> <planId> <outDir>
//
// <planId> has tiltak rows and one frozen version; the coordinator, an editor, a second editor
// (whose role is lowered) and an adviser are members, and the newcomer has an account but is not
// a member. The coordinator adds the newcomer on the members page and freezes a version (both
// answer with a status message); then, at each size, visits the plan list, the plan page (the
// live editor), the members page, the settings page, the frozen version and the comparison page:
// at 390 px none scrolls sideways, and axe-core (WCAG 2.1 A/AA, every impact) finds nothing on
// any. The adviser's status line says she may read and comment. The coordinator lowers the
// second editor to adviser: his page goes read-only and says so. The coordinator removes the
// editor («Fjern …», then «Ja, fjern …»): within 2 s the editor's open page says «Du har ikke
// lenger tilgang til denne planen» (an alert) and takes no more typing. The last line of standard
// output is a JSON summary; the exit code is 0 only when everything held.

import { credentials, fail, scenarioArgs, setUp, WAIT, waitFor } from './harness.mjs'

const { baseUrl, planId, outDir } = scenarioArgs('node tests/e2e/pages.mjs <baseUrl> <planId> <outDir> (with SAMSKRIV_E2E_COORDINATOR, _EDITOR, _LOWERED, _ADVISER and _NEWCOMER)')

const COORDINATOR = credentials('SAMSKRIV_E2E_COORDINATOR')
const EDITOR = credentials('SAMSKRIV_E2E_EDITOR')
const LOWERED = credentials('SAMSKRIV_E2E_LOWERED')
const ADVISER = credentials('SAMSKRIV_E2E_ADVISER')
const NEWCOMER = process.env.SAMSKRIV_E2E_NEWCOMER || fail('SAMSKRIV_E2E_NEWCOMER must be the e-mail address of an account that is not a member')

const { summary, check, newContext, watchErrors, shot, axeScan, finish } = await setUp({
  outDir, summary: { version_id: null, revoked_after_ms: null }
})

const PHONE = { width: 390, height: 844 }
const LAPTOP = { width: 1366, height: 768 }
const planUrl = `${baseUrl}/plans/${planId}`
const NO_ACCESS = 'Du har ikke lenger tilgang til denne planen'

async function signIn (label, { email, password }, viewport = LAPTOP) {
  const context = await newContext({ viewport, locale: 'nb-NO', timezoneId: 'Europe/Oslo' })
  const page = await context.newPage()
  // A removed member's reconnect is refused (404) by design; the browser logs it.
  watchErrors(page, label, /favicon|404|WebSocket/)
  await page.goto(`${baseUrl}/login`)
  await page.locator('#email').fill(email)
  await page.locator('#password').fill(password)
  await Promise.all([
    page.waitForURL((url) => new URL(url).pathname === '/', { timeout: WAIT }).catch(() => {
      throw new Error(`${label} (${email}) was not signed in: after «Logg inn» the page is ${page.url()}`)
    }),
    page.getByRole('button', { name: 'Logg inn' }).click()
  ])
  return { context, page, label }
}

async function openPlan (person) {
  await person.page.goto(planUrl)
  await person.page.evaluate(() => window.samskriv.ready)
  await waitFor(person.page, () => window.samskriv.provider.synced, null, `${person.label}'s first sync`)
}

/** The signed-in person's account id, from the page data (`me.id` is `user:<id>`). */
const accountId = (page) => page.evaluate(() => JSON.parse(document.getElementById('plan-data').textContent).me.id.replace(/^user:/, ''))

const statusLine = (page) => page.$eval('.tilkobling', (el) => el.textContent.trim())

async function run () {
  const coordinator = await signIn('the coordinator', COORDINATOR)
  const editor = await signIn('the editor', EDITOR)
  const lowered = await signIn('the second editor', LOWERED)
  const adviser = await signIn('the adviser', ADVISER)
  await openPlan(editor)
  await openPlan(lowered)
  await openPlan(adviser)
  await waitFor(adviser.page, () => /^Tilkoblet/.test(document.querySelector('.tilkobling')?.textContent.trim()), null, 'the adviser connected')
  const adviserSays = await statusLine(adviser.page)
  if (adviserSays !== 'Tilkoblet – du kan lese og kommentere') throw new Error(`the adviser's status line reads «${adviserSays}»`)
  check(`the adviser's status line: «${adviserSays}»`)
  await adviser.context.close()

  // «Legg til» on the members page answers with a status message.
  const a = coordinator.page
  await a.goto(`${planUrl}/medlemmer`)
  await a.locator('#legg-til-epost').fill(NEWCOMER)
  await a.locator('#legg-til-rolle').selectOption('reader')
  await a.getByRole('button', { name: 'Legg til', exact: true }).first().click()
  const added = a.locator('p.bekreftelse[role="status"]')
  await added.waitFor({ timeout: WAIT })
  if (!/er lagt til som leser\./.test(await added.textContent())) throw new Error(`after «Legg til» the page says «${await added.textContent()}»`)
  check(`«Legg til»: «${(await added.textContent()).trim()}» (role=status)`)

  // «Frys versjon» too.
  await openPlan(coordinator)
  await a.locator('#versjonsnavn').fill('Utkast til BU')
  await a.getByRole('button', { name: 'Frys versjon' }).click()
  const frozen = a.locator('#versjoner p.bekreftelse[role="status"]')
  await frozen.waitFor({ timeout: WAIT })
  if (!(await frozen.textContent()).includes('«Utkast til BU» er frosset')) throw new Error(`after «Frys versjon» the page says «${await frozen.textContent()}»`)
  const versionHref = await a.locator('.versjonsliste tbody tr').first().locator('a').first().getAttribute('href')
  summary.version_id = versionHref.split('/').pop()
  check(`«Frys versjon»: «${(await frozen.textContent()).trim()}» (role=status)`)

  // Every page at both sizes: no sideways scrolling at 390 px, nothing for axe.
  const pages = [
    ['the plan list', '/', 'planliste'],
    ['the plan page', `/plans/${planId}`, 'plan'],
    ['the members page', `/plans/${planId}/medlemmer`, 'medlemmer'],
    ['the settings page', `/plans/${planId}/innstillinger`, 'innstillinger'],
    ['a frozen version', versionHref, 'versjon'],
    ['the comparison page', `/plans/${planId}/endringer`, 'endringer']
  ]
  summary.metrics.overflow = {}
  for (const viewport of [PHONE, LAPTOP]) {
    await a.setViewportSize(viewport)
    for (const [what, path, name] of pages) {
      await a.goto(`${baseUrl}${path}`)
      if (name === 'plan') {
        await a.evaluate(() => window.samskriv.ready)
        await waitFor(a, () => window.samskriv.provider.synced, null, 'the coordinator\'s sync')
      }
      await a.waitForTimeout(150)
      const overflow = await a.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      summary.metrics.overflow[`${name}@${viewport.width}`] = overflow
      if (viewport === PHONE) {
        if (overflow > 0) {
          const wide = await a.evaluate(() => [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} (${Math.round(el.getBoundingClientRect().right)} px)`))
          throw new Error(`at 390 px ${what} scrolls sideways by ${overflow} px: ${wide.join(', ')}`)
        }
        if (name === 'versjon') {
          await a.locator('.tiltak-tabell').first().scrollIntoViewIfNeeded()
          await shot(a, 'versjon-390.png')
          await a.evaluate(() => window.scrollTo(0, 0))
        }
        if (name === 'medlemmer') await shot(a, 'medlemmer-390.png')
      }
      await axeScan(a, `${what} at ${viewport.width}×${viewport.height}`)
    }
    check(`${viewport.width}×${viewport.height}: ${pages.map(([what]) => what).join(', ')}${viewport === PHONE ? ' – none scrolls sideways;' : ':'} axe finds nothing`)
  }
  await a.setViewportSize(LAPTOP)

  // A lowered role: the second editor's page reconnects read-only and says so.
  const loweredId = await accountId(lowered.page)
  await a.goto(`${planUrl}/medlemmer`)
  await a.locator(`[id="rolle-${loweredId}"]`).selectOption('adviser')
  await a.locator(`form:has([id="rolle-${loweredId}"]) button[type="submit"]`).click()
  await waitFor(lowered.page, () => document.querySelector('.tilkobling')?.textContent.trim() === 'Tilkoblet – du kan lese og kommentere', null, 'the lowered editor\'s status line')
  const prose = '.prosa-innhold'
  const before = await lowered.page.$eval(prose, (el) => el.textContent)
  await lowered.page.locator(prose).first().click()
  await lowered.page.keyboard.type('skal ikke med')
  await lowered.page.waitForTimeout(300)
  if (await lowered.page.$eval(prose, (el) => el.textContent) !== before) throw new Error('the lowered editor could still type')
  check('a lowered role: the page reconnects reading «Tilkoblet – du kan lese og kommentere» and takes no typing')

  // Removed: «Fjern …» asks first; then the editor's open page loses access within 2 s.
  const editorId = await accountId(editor.page)
  await a.locator(`a[href$="/medlemmer/${editorId}/fjern"]`).click()
  await a.waitForURL((url) => url.pathname.endsWith(`/medlemmer/${editorId}/fjern`), { timeout: WAIT })
  await axeScan(a, 'the page asking before a member is removed')
  const confirm = a.getByRole('button', { name: /^Ja, fjern / })
  const started = Date.now()
  await confirm.click()
  await waitFor(editor.page, (text) => {
    const el = document.querySelector('.tilkobling[role="alert"]')
    if (!el || el.textContent.trim() !== text) return false
    const box = el.getBoundingClientRect()
    return box.width > 0 && box.height > 0 && box.bottom <= window.innerHeight + 1
  }, NO_ACCESS, 'the removed editor\'s alert')
  const after = Date.now() - started
  summary.revoked_after_ms = after
  if (after > 2000) throw new Error(`the removed editor was told after ${after} ms`)
  const removed = a.locator('p.bekreftelse[role="status"]')
  await removed.waitFor({ timeout: WAIT })
  if (!/er fjernet fra planen\./.test(await removed.textContent())) throw new Error(`after «Ja, fjern» the page says «${await removed.textContent()}»`)
  const text = await editor.page.$eval(prose, (el) => el.textContent)
  await editor.page.locator(prose).first().click({ force: true })
  await editor.page.keyboard.type('etter fjerning')
  await editor.page.waitForTimeout(300)
  if (await editor.page.$eval(prose, (el) => el.textContent) !== text) throw new Error('the removed editor could still type')
  await shot(editor.page, 'fjernet-redaktor.png')
  await axeScan(editor.page, 'the removed editor\'s page')
  check(`removed: the editor's page says «${NO_ACCESS}» (role=alert, visible) ${after} ms after «Ja, fjern», and takes no typing`)

  for (const person of [coordinator, editor, lowered]) await person.context.close()
}

await finish(run)
