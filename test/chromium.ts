// Debian's chromium driven by playwright-core (CI installs it, see .ci/run); tests that need it
// skip, with the reason in their title, when it is absent.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
export const skippedWithoutChromium = haveChromium ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install chromium)`;

/** Headless, with the flags that keep it off this machine's closed network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
