/**
 * `GET /metrics` in the Prometheus text exposition format (version 0.0.4), from the engine's
 * prom-client registry (metrics/engine-metrics.ts), and the actor system's health as samples for it.
 */
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { Type } from '@sinclair/typebox';
import type { HealthReport } from '../../engine/system.js';
import { route, type RouteOptions } from '../http/http.js';
import type { EngineMetrics, MetricSample } from '../metrics/engine-metrics.js';

export type { MetricSample };

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
      { name: 'octopus_actor_handler_errors_total', help: 'Handlers that threw an untyped error (a typed business refusal is not one).', type: 'counter', value: report.handler_errors, labels },
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

export function metricsRoutes(metrics: EngineMetrics) {
  return (app: TemplatedApp, options: RouteOptions): void => {
    route(app, options, {
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      summary: 'Prometheus metrics (text exposition format 0.0.4)',
      tag: 'operations',
      contentType: metrics.contentType,
      responses: { 200: Type.String({ description: 'Prometheus text format' }) },
      handler: async () => ({ status: 200, body: await metrics.text() }),
    });
  };
}
