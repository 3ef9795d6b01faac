/** Each report's weight budget: one HTML file, charts inline, mailed or opened from S3 as it is. */
export const REPORT_BUDGET_BYTES = 300 * 1024;
