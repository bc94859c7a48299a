/**
 * `client_order_id` makes a submit idempotent: a retry returns the order the first attempt created. A
 * reuse that describes a different order is not a retry: it is refused (409) naming the fields that
 * differ, instead of answering 200 with an order the client did not ask for.
 */
import { OctopusError } from '../../engine/errors.js';
import type { OrderRecord, SubmitOrder } from '../../engine/messages.js';

/**
 * @throws OctopusError ERR_ORDER_CLIENT_ID_CONFLICT when `command` differs from `existing` in symbol,
 *   side, type, qty, limit or stop price (the order's current values: after a replace, its new ones).
 */
export function assertSameOrder(existing: OrderRecord, command: SubmitOrder): void {
  const fields: Array<[name: string, was: unknown, given: unknown]> = [
    ['symbol', existing.symbol, command.symbol],
    ['side', existing.side, command.side],
    ['type', existing.type, command.type],
    ['qty', existing.qty, command.qty],
    ['limit_price', existing.limit_price, command.limitPrice ?? null],
    ['stop_price', existing.stop_price, command.stopPrice ?? null],
  ];
  const differing = fields.filter(([, was, given]) => was !== given);
  if (differing.length === 0) return;
  const described = differing.map(([name, was, given]) => `${name} ${JSON.stringify(was)} (was ${JSON.stringify(given)})`).join(', ');
  throw new OctopusError(
    'ERR_ORDER_CLIENT_ID_CONFLICT',
    `expected a retry of order ${existing.id} with client_order_id ${JSON.stringify(command.clientOrderId)} to match it: ${described}`,
  );
}
