/**
 * Naive UI 2.x marks a card's header (and the title inside it) `role="heading"` without an
 * `aria-level`, which axe reports as critical (aria-required-attr) and screen readers read as a
 * nameless level-2 heading twice. Until Naive UI fixes it, every such header is repaired as it
 * appears: the outer box becomes presentational, the title a level-3 heading (under the page's h1
 * and the sections' h2).
 */
export default defineNuxtPlugin(() => {
  const repair = (root: ParentNode) => {
    for (const el of root.querySelectorAll<HTMLElement>('[role="heading"]:not([aria-level])')) {
      if (el.classList.contains('n-card-header') && el.querySelector('.n-card-header__main')) el.setAttribute('role', 'none')
      else el.setAttribute('aria-level', '3')
    }
  }
  const observer = new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) if (n instanceof HTMLElement) repair(n.parentElement ?? n)
  })
  observer.observe(document.documentElement, { childList: true, subtree: true })
  repair(document)
})
