/**
 * The monitoring modules the DriftMonitor's function runs, loaded on its first run. They are
 * loaded lazily so that a cold start that fails early (bad configuration) does not pay for
 * vega; tsc checks their signatures against MonitorModules.
 */
import type { MonitorModules } from "./drift-monitor.js";

export async function loadMonitorModules(): Promise<MonitorModules> {
  const [capture, drift, report] = await Promise.all([
    import("../monitoring/capture-read.js"),
    import("../monitoring/drift.js"),
    import("../reports/drift-report.js"),
  ]);
  return {
    readCapture: capture.readCapture,
    computeDrift: drift.computeDrift,
    renderReport: report.renderDriftReport,
  };
}
