/**
 * The served OpenAPI document as a validator of real answers: every response a test receives through
 * ApiClient is checked (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses) against the schema of its route
 * and status, and the operations seen are recorded, so a test can require that every route was seen.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

interface Operation {
  operationId: string;
  method: string;
  template: string;
  pattern: RegExp;
  /** Literal templates win over parameterised ones (as in uWS). */
  literal: boolean;
  responses: Record<string, { content?: Record<string, { schema: unknown }>; $ref?: string }>;
}

const kRootId = 'https://octopus.invalid/openapi';

/** `#/components/schemas/X` -> the id each component schema is added under. */
function rewriteRefs(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${kRootId}/schemas/`));
}

export class Contract {
  private readonly ajv = new Ajv2020({ strict: true, allErrors: false, strictTuples: false });
  private readonly operations: Operation[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();
  /** operationId -> statuses validated. */
  readonly seen = new Map<string, Set<number>>();

  constructor(readonly document: any) {
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.ajv);
    for (const [name, schema] of Object.entries<unknown>(document.components.schemas)) this.ajv.addSchema(rewriteRefs(schema) as object, `${kRootId}/schemas/${name}`);
    for (const [template, item] of Object.entries<Record<string, any>>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[A-Za-z_]+\\?\}/g, '[^/]+');
        this.operations.push({ operationId: operation.operationId, method: method.toUpperCase(), template, pattern: new RegExp(`^${source}$`), literal: !template.includes('{'), responses: operation.responses });
      }
    }
    this.operations.sort((left, right) => Number(right.literal) - Number(left.literal));
  }

  static async load(base: string): Promise<Contract> {
    const response = await fetch(`${base}/api/v1/openapi.json`);
    if (response.status !== 200) throw new Error(`expected the OpenAPI document, was ${response.status}`);
    return new Contract(await response.json());
  }

  get operationIds(): string[] {
    return this.operations.map((operation) => operation.operationId);
  }

  /** Finds the operation of `method path`; undefined for paths outside the document (the dashboard's files). */
  operationOf(method: string, pathWithQuery: string): Operation | undefined {
    const path = pathWithQuery.split('?')[0]!;
    return this.operations.find((operation) => operation.method === method.toUpperCase() && operation.pattern.test(path));
  }

  /** @throws Error naming the route, status and the first schema violation. */
  validate(method: string, pathWithQuery: string, status: number, body: unknown, contentType = 'application/json'): void {
    const operation = this.operationOf(method, pathWithQuery);
    if (operation === undefined) throw new Error(`expected ${method} ${pathWithQuery} to be in the OpenAPI document, was not`);
    const response = operation.responses[String(status)];
    if (response === undefined) throw new Error(`expected ${method} ${operation.template} to document status ${status}, was undocumented (body ${JSON.stringify(body)?.slice(0, 200)})`);
    const resolved = response.$ref === undefined ? response : this.document.components.responses[response.$ref.split('/').at(-1)!];
    const schema = resolved.content?.[contentType]?.schema;
    if (schema === undefined) {
      if (body !== null && body !== '') throw new Error(`expected no body from ${method} ${operation.template} ${status}, was ${JSON.stringify(body).slice(0, 200)}`);
    } else {
      const key = `${operation.operationId} ${status}`;
      let validator = this.compiled.get(key);
      if (validator === undefined) {
        this.compiled.set(key, (validator = this.ajv.compile(rewriteRefs(schema) as object)));
      }
      if (!validator(body)) {
        throw new Error(`expected ${method} ${operation.template} ${status} to match its schema, was not: ${this.ajv.errorsText(validator.errors)} in ${JSON.stringify(body).slice(0, 300)}`);
      }
    }
    let statuses = this.seen.get(operation.operationId);
    if (statuses === undefined) this.seen.set(operation.operationId, (statuses = new Set()));
    statuses.add(status);
  }
}
