/**
 * zod/mini loads no locale: without one its messages are a bare "Invalid input", and they only
 * read as English in a process where full `zod` happens to be loaded too (the tests, the Pulumi
 * program), never in the CLI, the container or the Lambda. Every zod/mini parse passes these
 * options, so the messages are full zod's English ones everywhere, without `z.config` changing
 * them for every other schema in the process.
 */
import en from "zod/v4/locales/en.js";

export const ENGLISH = { error: en().localeError };
