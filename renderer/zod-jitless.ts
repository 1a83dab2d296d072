/**
 * Zod compiles fast parsers with `new Function` unless told not to; the page's CSP forbids eval, and even
 * zod's probe for it would be reported as a violation. Imported first, before any schema is built.
 */
import { z } from 'zod';

z.config({ jitless: true });
