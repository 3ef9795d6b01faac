/**
 * The page's weight budget (issue #12): everything it loads, gzipped. It loads nothing but
 * itself and its API answers; both tests hold it to this.
 */
export const PAGE_BUDGET_GZIP_BYTES = 100 * 1024;
