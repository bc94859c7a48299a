/**
 * `GET /metrics` in the Prometheus text exposition format (version 0.0.4): the health document's counters
 * and gauges per actor, plus whatever gauges the engine adds. Plain text, no client library: the set is
 * small and fixed.
 */
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import type { HealthReport } from '../../engine/system.js';
import type { RouteOptions } from '../http/http.js';

export interface MetricSample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: number;
  labels?: Record<string, string>;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Renders samples, grouping by metric name (HELP and TYPE once per name). */
export function renderMetrics(samples: readonly MetricSample[]): string {
  const lines: string[] = [];
  const described = new Set<string>();
  const sorted = [...samples].sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  for (const sample of sorted) {
    if (!described.has(sample.name)) {
      described.add(sample.name);
      lines.push(`# HELP ${sample.name} ${sample.help}`, `# TYPE ${sample.name} ${sample.type}`);
    }
    const labels = Object.entries(sample.labels ?? {});
    const labelText = labels.length === 0 ? '' : `{${labels.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
    lines.push(`${sample.name}${labelText} ${Number.isFinite(sample.value) ? sample.value : 'NaN'}`);
  }
  return `${lines.join('\n')}\n`;
}

const kStates = ['starting', 'running', 'restarting', 'stopping', 'stopped', 'dead'];

/** The actor system's health as samples. */
export function healthSamples(health: HealthReport): MetricSample[] {
  const samples: MetricSample[] = [
    { name: 'octopus_uptime_seconds', help: 'Seconds since the engine started.', type: 'gauge', value: health.uptime_s },
    { name: 'octopus_dead_letters_total', help: 'Messages sent to stopped or dead actors.', type: 'counter', value: health.dead_letters },
  ];
  for (const [actor, report] of Object.entries(health.actors)) {
    const labels = { actor };
    samples.push(
      { name: 'octopus_actor_processed_total', help: 'Messages an actor handled.', type: 'counter', value: report.processed, labels },
      { name: 'octopus_actor_restarts_total', help: 'Times an actor was restarted after a crash.', type: 'counter', value: report.restarts, labels },
      { name: 'octopus_actor_handler_errors_total', help: 'Handlers that threw.', type: 'counter', value: report.handler_errors, labels },
      { name: 'octopus_actor_inbox_depth', help: 'Messages waiting in an actor inbox.', type: 'gauge', value: report.inbox_depth, labels },
      { name: 'octopus_actor_dead_letters_total', help: 'Messages to this actor while it was stopped or dead.', type: 'counter', value: report.dead_letters, labels },
      { name: 'octopus_actor_watchdog_kills_total', help: 'Times the watchdog terminated this actor for a stalled heartbeat.', type: 'counter', value: report.watchdog_kills, labels },
    );
    for (const state of kStates) {
      samples.push({ name: 'octopus_actor_state', help: '1 for the state an actor is in.', type: 'gauge', value: report.state === state ? 1 : 0, labels: { actor, state } });
    }
  }
  return samples;
}

export function metricsRoutes(collect: () => MetricSample[]) {
  return (app: TemplatedApp, options: RouteOptions): void => {
    app.get('/metrics', (res) => {
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      let text: string;
      try {
        text = renderMetrics(collect());
      } catch (error) {
        options.logger.error({ err: error }, 'metrics failed');
        if (!aborted) res.cork(() => res.writeStatus('500 Internal Server Error').end());
        return;
      }
      if (aborted) return;
      res.cork(() => {
        res.writeStatus('200 OK').writeHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8').end(text);
      });
    });
  };
}
