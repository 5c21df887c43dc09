// The plan's threads from the server: the full list (GET), loaded on every (re)connect of the
// event stream, and the stream's events (`thread`, `thread_deleted`) in between; `suggestion`
// events go to suggestions.js.

import { ApiError, errorMessage } from './threads.js'

export class ThreadFeed {
  /**
   * @param {import('./threads.js').ThreadsApi} api
   * @param {import('./threads.js').ThreadStore} store  what the list and the events go to
   * @param {object} show  `loadError(text)` ('' once loaded), `streamState(text)`, `settled()`
   */
  constructor (api, store, show) {
    this.api = api
    this.store = store
    this.show = show
    this.loaded = false
    this.source = null
    this.retry = 1000
    this.reloading = null // the full load under way
    this.reloadAgain = false
  }

  start () {
    this.connect()
    this.reload()
  }

  /**
   * Loads the full list. A reload asked for while one is under way runs once more after it
   * (events are buffered meanwhile), so a stale answer never replaces a newer one.
   */
  reload () {
    if (this.reloading) { this.reloadAgain = true; return this.reloading }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false
        this.store.beginLoad()
        try {
          const threads = await this.api.list()
          if (this.reloadAgain) continue
          this.store.reset(Array.isArray(threads) ? threads : [])
          this.show.loadError('')
          this.loaded = true
        } catch (error) {
          this.store.abortLoad()
          this.show.loadError(error instanceof ApiError && error.status === 404
            ? 'Kommentarer er ikke tilgjengelige for denne planen.'
            : errorMessage(error.status || 0, error.serverText, 'Kommentarene kunne ikke hentes'))
        }
      } while (this.reloadAgain)
      this.show.settled()
    })().finally(() => { this.reloading = null })
    return this.reloading
  }

  connect () {
    if (typeof EventSource === 'undefined') return
    const source = new EventSource(this.api.eventsUrl(), { withCredentials: true })
    this.source = source
    let everOpen = false
    source.addEventListener('open', () => {
      everOpen = true
      this.retry = 1000
      this.show.streamState('')
      this.reload()
      this.show.opened?.()
    })
    const parse = (event) => { try { return JSON.parse(event.data) } catch { return null } }
    source.addEventListener('thread', (event) => this.store.event('thread', parse(event)))
    source.addEventListener('thread_deleted', (event) => this.store.event('thread_deleted', parse(event)))
    source.addEventListener('suggestion', (event) => this.show.suggestion?.(parse(event)))
    source.addEventListener('error', () => {
      if (everOpen) this.show.streamState('Kommentarene oppdateres ikke direkte akkurat nå. Kobler til igjen …')
      // The browser reconnects by itself unless the server refused the stream: then retry here.
      if (source.readyState === 2) {
        source.close()
        if (this.source === source) {
          setTimeout(() => { if (this.source === source) this.connect() }, this.retry)
          this.retry = Math.min(this.retry * 2, 30000)
        }
      }
    })
  }
}
