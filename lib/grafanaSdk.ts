/**
 * The parts of `@grafana/grafana-foundation-sdk` the dashboards are built with, typed.
 *
 * The SDK publishes its modules only through package.json `exports` subpaths
 * (`@grafana/grafana-foundation-sdk/dashboard`), which this project's `moduleResolution: node`
 * does not read. So the types are looked up with `resolution-mode: require` (which does read
 * `exports`) and the modules are loaded with Node's own `require`, which resolves the same subpaths.
 */

type DashboardModule = typeof import("@grafana/grafana-foundation-sdk/dashboard", { with: { "resolution-mode": "require" } });
type CommonModule = typeof import("@grafana/grafana-foundation-sdk/common", { with: { "resolution-mode": "require" } });
type PrometheusModule = typeof import("@grafana/grafana-foundation-sdk/prometheus", { with: { "resolution-mode": "require" } });
type TimeseriesModule = typeof import("@grafana/grafana-foundation-sdk/timeseries", { with: { "resolution-mode": "require" } });
type TableModule = typeof import("@grafana/grafana-foundation-sdk/table", { with: { "resolution-mode": "require" } });

/** Grafana's dashboard JSON model. */
export type DashboardModel = import("@grafana/grafana-foundation-sdk/dashboard", { with: { "resolution-mode": "require" } }).Dashboard;

export const dashboard: DashboardModule = require("@grafana/grafana-foundation-sdk/dashboard");
export const common: CommonModule = require("@grafana/grafana-foundation-sdk/common");
export const prometheus: PrometheusModule = require("@grafana/grafana-foundation-sdk/prometheus");
export const timeseries: TimeseriesModule = require("@grafana/grafana-foundation-sdk/timeseries");
export const table: TableModule = require("@grafana/grafana-foundation-sdk/table");
