/**
 * The window as a user meets it in the e2e tests: a 420 x 640 page on the console, in a light or dark
 * theme, with helpers to wait for what it shows, move with the keyboard alone, check accessible names
 * through Chromium's own accessibility tree, and save screenshots.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { ROOT } from './e2e-world.js';

export const SCREENSHOTS = path.join(ROOT, 'test-artifacts', 'screenshots');

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** Errors the page logged or threw (CSP violations show up here too). */
  problems: string[];
  close(): Promise<void>;
}

const CSP_WATCH = `window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`;

/** The CSP violations the page has seen since it loaded. */
export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate('window.cspViolations');
}

export async function openConsole(browser: Browser, url: string, opts: { colorScheme?: 'light' | 'dark' } = {}): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 420, height: 640 }, deviceScaleFactor: 2, locale: 'en-US', colorScheme: opts.colorScheme ?? 'light' });
  context.setDefaultTimeout(10_000);
  // Registered before the page's own script runs, so a violation during load is seen too.
  await context.addInitScript(CSP_WATCH);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url);
  await page.locator('h1.host').filter({ hasNotText: 'GuruRMM Agent' }).waitFor();
  return { page, context, problems, close: () => context.close() };
}

/** Saves a screenshot of what the window shows now (the caret and animations stilled). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  return file;
}

/** Waits until the locator's text matches `pattern`; fails with the last text seen. */
export async function waitForText(locator: Locator, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = (await locator.first().textContent({ timeout: Math.max(1, deadline - Date.now()) }).catch(() => null)) ?? '';
    if (pattern.test(last)) return last;
    if (Date.now() > deadline) throw new Error(`expected ${pattern} within ${timeoutMs} ms; the page showed: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The accessible name of the focused element, as Chromium computes it. */
export async function focusedName(page: Page): Promise<string> {
  const snap = await page.locator(':focus').ariaSnapshot({ timeout: 2000 }).catch(() => '');
  return snap;
}

/** Presses Tab (at most `limit` times) until the focused element's accessible name matches `name`. */
export async function tabTo(page: Page, name: RegExp, limit = 40): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const focused = await focusedName(page);
    seen.push(focused.trim());
    if (name.test(focused)) return;
  }
  throw new Error(`Tab never reached ${name}; focus went through:\n${seen.join('\n')}`);
}

const CONTROL_ROLES = new Set(['button', 'combobox', 'checkbox', 'radio', 'link', 'textbox', 'listbox', 'menuitem', 'switch', 'slider', 'DisclosureTriangle', 'PopUpButton', 'tab']);

/** Every control in Chromium's accessibility tree, with its computed name. */
export async function controlNames(page: Page): Promise<{ role: string; name: string }[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { ignored: boolean; role?: { value?: string }; name?: { value?: string } }[] };
    return nodes
      .filter((n) => !n.ignored && CONTROL_ROLES.has(String(n.role?.value)))
      .map((n) => ({ role: String(n.role?.value), name: String(n.name?.value ?? '').trim() }));
  } finally {
    await cdp.detach();
  }
}

/**
 * Contrast ratios of the visible text in the given elements against what is painted behind them (the
 * element's and its ancestors' backgrounds, composited). Plain JavaScript, so nothing the test runner's
 * transpiler adds ends up in the page.
 */
const CONTRAST_SOURCE = `(sel) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (e) => {
    const layers = [];
    for (; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      const alpha = c.length === 3 ? 1 : c[3];
      if (alpha > 0) layers.push([c[0], c[1], c[2], alpha]);
      if (alpha >= 1) break;
    }
    let out = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) out = [r * a + out[0] * (1 - a), g * a + out[1] * (1 - a), b * a + out[2] * (1 - a)];
    return out;
  };
  return [...document.querySelectorAll(sel)]
    .filter((e) => e.offsetParent !== null && e.textContent.trim() && !e.closest(':disabled'))
    .map((e) => {
      const a = lum(rgb(getComputedStyle(e).color));
      const b = lum(background(e));
      return { text: e.textContent.trim().slice(0, 40), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
    });
}`;

export async function contrastOf(page: Page, selector: string): Promise<{ text: string; ratio: number }[]> {
  return page.evaluate(`(${CONTRAST_SOURCE})(${JSON.stringify(selector)})`);
}
