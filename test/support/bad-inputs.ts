// Bad inputs for every argument of a root field, generated from the argument types (fast-check).
//
// A request whose every value is wrong stops at variable coercion and never reaches a resolver,
// so each generated input is a *plausible* base (required fields only, real IDs of the right type
// where the fuzz suite has one) with one or two points of it replaced by a bad value: wrong type,
// null or missing where required, a huge list, a huge string, control characters, a junk or
// other-type global ID, a boundary number.
import fc from 'fast-check';
import { encodeGlobalID } from '@pothos/plugin-relay';
import {
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';

/** Real objects of the fuzz suite's organisation, by GraphQL type name (database UUIDs). */
export type IdPool = Partial<Record<string, string[]>>;

/** Where a bad value goes: a path into the variables (argument name first) and the type found there. */
export interface Point {
  path: (string | number)[];
  type: GraphQLInputType;
  /** The enclosing input types, outermost first, so that a missing optional parent can be built. */
  parents: GraphQLInputType[];
}

const NIL_UUID = '00000000-0000-4000-8000-000000000000';
const CONTROL = ['\u0000', '\u0007', '\u001b', '\u0000\u0000', '\r\n\u0000', '\u0008\u007f'];
export const BOUNDARY_NUMBERS: unknown[] = [0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 31 - 1, -(2 ** 31), 1e308, -1e308, 1.5, 2 ** 53 + 2];
const NAN_LIKE = ['NaN', 'Infinity', '-Infinity', '1e308', '0x10', '', ' ', '-0', '1,5'];
const WRONG_TYPES: unknown[] = [true, 0, 1.5, 'x', {}, [], [1, 2], { a: 1 }, [[]]];

/** The type name an ID argument or input field names, from its name (`sessionId`, `activityIds`…). */
export function idTypeOf(name: string): string | undefined {
  const match = /^(.*?)Ids?$/.exec(name);
  if (!match?.[1]) return name === 'ids' ? 'Session' : undefined;
  return match[1].charAt(0).toUpperCase() + match[1].slice(1);
}

/** A string of `size` characters made of `fill`, with a control character in the middle. */
export function hugeString(size: number, fill = 'a'): string {
  const half = fill.repeat(Math.ceil(size / 2 / fill.length));
  return `${half}\u0000${half}`.slice(0, size);
}

export class InputFuzzer {
  private emails = 0;

  constructor(
    private readonly pool: IdPool,
    private readonly typeNames: string[],
  ) {}

  /** A plausible value of `type`: required input fields only, real IDs where the pool has one. */
  base(type: GraphQLInputType, name: string): unknown {
    if (isNonNullType(type)) return this.base(type.ofType, name);
    if (isListType(type)) return [this.base(type.ofType, name)];
    if (isInputObjectType(type)) {
      const value: Record<string, unknown> = {};
      for (const field of Object.values(type.getFields())) {
        if (isNonNullType(field.type) && field.defaultValue === undefined) value[field.name] = this.base(field.type, field.name);
      }
      return value;
    }
    if (isEnumType(type)) return type.getValues()[0]!.name;
    switch (type.name) {
      case 'ID': {
        const typename = idTypeOf(name);
        const real = typename ? this.pool[typename]?.[0] : undefined;
        return encodeGlobalID(typename ?? 'Session', real ?? NIL_UUID);
      }
      case 'String':
        return 'Fuzz value';
      case 'Int':
        return 1;
      case 'Float':
        return 1.5;
      case 'Boolean':
        return false;
      case 'DateTime':
        return new Date(Date.now() + 72 * 3_600_000).toISOString();
      case 'Date':
        return '1990-05-17';
      case 'EmailAddress':
        return `fuzz-${process.pid}-${Date.now().toString(36)}-${this.emails++}@example.com`;
      default:
        return 'x';
    }
  }

  /** Every place a bad value can go in the arguments of `field`. */
  points(field: GraphQLField<unknown, unknown>): Point[] {
    const out: Point[] = [];
    const walk = (type: GraphQLInputType, path: (string | number)[], parents: GraphQLInputType[]) => {
      out.push({ path, type, parents });
      const inner = getNullableType(type);
      if (isListType(inner)) walk(inner.ofType, [...path, 0], [...parents, type]);
      else if (isInputObjectType(inner)) {
        for (const child of Object.values(inner.getFields())) walk(child.type, [...path, child.name], [...parents, type]);
      }
    };
    for (const arg of field.args) walk(arg.type, [arg.name], []);
    return out;
  }

  /** A junk or misleading global ID. */
  badId(name: string): fc.Arbitrary<unknown> {
    const wanted = idTypeOf(name) ?? 'Session';
    const others = this.typeNames.filter((typename) => typename !== wanted && this.pool[typename]?.length);
    const realOfAnotherType = others.length
      ? fc.constantFrom(...others).map((typename) => encodeGlobalID(typename, this.pool[typename]![0]!))
      : fc.constant(encodeGlobalID('Organization', NIL_UUID));
    // The right object's UUID under another type name, and another object's UUID under the right one.
    const retyped = others.length
      ? fc.constantFrom(...others).map((typename) => encodeGlobalID(typename, this.pool[wanted]?.[0] ?? NIL_UUID))
      : fc.constant(encodeGlobalID('Venue', NIL_UUID));
    const wrongUuid = others.length
      ? fc.constantFrom(...others).map((typename) => encodeGlobalID(wanted, this.pool[typename]![0]!))
      : fc.constant(encodeGlobalID(wanted, NIL_UUID));
    return fc.oneof(
      fc.base64String({ maxLength: 64 }),
      realOfAnotherType,
      retyped,
      wrongUuid,
      fc.constantFrom(
        encodeGlobalID(wanted, 'not-a-uuid'),
        encodeGlobalID(wanted, ''),
        encodeGlobalID('', ''),
        encodeGlobalID('__proto__', NIL_UUID),
        encodeGlobalID(wanted, `${NIL_UUID}\u0000`),
        encodeGlobalID(wanted, `${NIL_UUID}' OR '1'='1`),
        Buffer.from(`${wanted}:`).toString('base64'),
        '=',
        '',
        '%E0%A4%A',
      ),
      fc.integer({ min: 0, max: 3 }).map((k) => encodeGlobalID(wanted, hugeString(10 ** (k + 3)))),
      fc.constantFrom(2 ** 31, -1, 0, 1e308),
      this.controlString(),
    );
  }

  controlString(): fc.Arbitrary<string> {
    return fc
      .tuple(fc.string({ maxLength: 16 }), fc.constantFrom(...CONTROL), fc.string({ maxLength: 16 }))
      .map(([before, control, after]) => `${before}${control}${after}`);
  }

  /** 100 kB to 1 MB, so that bodies land on both sides of a 1 MB limit. */
  hugeString(): fc.Arbitrary<string> {
    return fc
      .record({ size: fc.integer({ min: 100_000, max: 1_000_000 }), fill: fc.constantFrom('a', 'é', '😀', '\u0000', '\u001b[31m') })
      .map(({ size, fill }) => hugeString(size, fill));
  }

  /** A bad value for a leaf of named type `typeName` (the field or argument is called `name`). */
  badLeaf(type: GraphQLInputType, name: string): fc.Arbitrary<unknown> {
    const named = getNamedType(type);
    const wrong = fc.constantFrom(...WRONG_TYPES);
    if (isEnumType(named)) {
      const first = named.getValues()[0]!.name;
      return fc.oneof(fc.constantFrom(first.toLowerCase(), `${first} `, 'UNKNOWN', '', 0), this.controlString(), wrong);
    }
    switch (named.name) {
      case 'ID':
        return this.badId(name);
      case 'String':
      case 'EmailAddress':
        return fc.oneof(
          this.hugeString(),
          this.controlString(),
          this.controlString().map((s) => `fuzz${s}@example.com`),
          fc.constantFrom('', ' ', '\u200b', 'a'.repeat(129), 'a'.repeat(256), '%E0%A4%A', '../../etc/passwd', "'; DROP TABLE member;--"),
          fc.string({ unit: 'binary', maxLength: 64 }),
          wrong,
        );
      case 'Int':
      case 'Float':
        return fc.oneof(fc.constantFrom(...BOUNDARY_NUMBERS), fc.constantFrom(...NAN_LIKE), wrong);
      case 'DateTime':
      case 'Date':
        return fc.oneof(
          fc.constantFrom(
            'not a date',
            '2024-02-30',
            '2024-02-30T00:00:00Z',
            '+275760-09-13T00:00:00.001Z',
            '-271821-04-20T00:00:00.000Z',
            '0000-00-00T00:00:00Z',
            '9999-12-31T23:59:59.999Z',
            '1970-01-01T00:00:00Z',
            '2024-03-31T02:30:00+01:00',
          ),
          this.controlString(),
          this.hugeString(),
          fc.constantFrom(...BOUNDARY_NUMBERS),
          wrong,
        );
      case 'Boolean':
        return fc.oneof(fc.constantFrom('true', 1, 0, 'yes'), wrong);
      default:
        return fc.oneof(this.controlString(), this.hugeString(), wrong);
    }
  }

  /** A bad value for one point: whatever its type, plus null/missing, huge lists and wrong shapes. */
  bad(point: Point): fc.Arbitrary<unknown> {
    const name = String([...point.path].reverse().find((part) => typeof part === 'string'));
    const options: fc.Arbitrary<unknown>[] = [fc.constantFrom(null, undefined)];
    const inner = getNullableType(point.type);
    if (isListType(inner)) {
      const item = this.base(inner.ofType, name);
      options.push(
        // 10,000 items: the same plausible one, junk IDs, or the pool's real IDs over and over.
        fc.constantFrom(10_000, 1_001, 201, 101).map((length) => Array.from({ length }, () => item)),
        fc.constant(Array.from({ length: 10_000 }, (_, k) => encodeGlobalID(idTypeOf(name) ?? 'Session', `junk-${k}`))),
        fc.array(this.badLeaf(inner.ofType, name), { maxLength: 5 }),
        fc.constantFrom('x', 1, {}, [null], [[]]),
      );
    } else if (isInputObjectType(inner)) {
      const base = this.base(inner, name) as Record<string, unknown>;
      options.push(fc.constantFrom('x', 1, [], [base], { ...base, notAField: 1 }, { ...base, ...JSON.parse('{"__proto__":{"x":1}}') }));
    } else {
      options.push(this.badLeaf(inner, name));
    }
    return fc.oneof(...options);
  }

  /** Variables with one or two bad points; the property gets the description for its report. */
  variables(field: GraphQLField<unknown, unknown>): fc.Arbitrary<{ variables: Record<string, unknown>; changed: string[] }> {
    const points = this.points(field);
    const base = () => Object.fromEntries(field.args.filter((arg) => isNonNullType(arg.type)).map((arg) => [arg.name, this.base(arg.type, arg.name)]));
    if (points.length === 0) return fc.constant({ variables: {}, changed: [] });
    const change = fc.constantFrom(...points).chain((point) => this.bad(point).map((value) => ({ point, value })));
    return fc.array(change, { minLength: 1, maxLength: 2 }).map((changes) => {
      const variables = base();
      for (const { point, value } of changes) this.set(variables, point, value);
      return { variables, changed: changes.map(({ point, value }) => `${point.path.join('.')} = ${describe(value)}`) };
    });
  }

  private set(root: Record<string, unknown>, point: Point, value: unknown) {
    let target: Record<string | number, unknown> = root;
    point.path.forEach((key, depth) => {
      if (depth === point.path.length - 1) {
        if (value === undefined) delete target[key];
        else target[key] = value;
        return;
      }
      let next = target[key];
      if (next === null || typeof next !== 'object') {
        // An optional parent the base left out: built from its type so that the bad value lands.
        next = this.base(point.parents[depth]!, String(key));
        target[key] = next;
      }
      target = next as Record<string | number, unknown>;
    });
  }
}

/** A short, printable account of a value (huge strings and lists by their size). */
export function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 80 ? `<string of ${value.length} chars>` : JSON.stringify(value);
  if (Array.isArray(value)) return value.length > 5 ? `<list of ${value.length}>` : `[${value.map(describe).join(', ')}]`;
  if (value === undefined) return '<missing>';
  const json = JSON.stringify(value);
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}

/** A selection that runs the field and shows typed errors: `__typename`, `Error`'s code, IDs, edges. */
export function selectionOf(type: GraphQLOutputType, schema: GraphQLSchema, depth = 0): string {
  const named = getNamedType(type);
  if (isScalarType(named) || isEnumType(named)) return '';
  const parts = ['__typename'];
  if (isAbstractType(named)) {
    if (schema.getType('Error') && schema.getPossibleTypes(named).some((t) => t.getInterfaces().some((i) => i.name === 'Error'))) {
      parts.push('... on Error { code message }');
    }
    if (schema.getPossibleTypes(named).some((t) => t.getInterfaces().some((i) => i.name === 'Node'))) parts.push('... on Node { id }');
  } else if (isObjectType(named)) {
    const fields = named.getFields();
    if (fields.id) parts.push('id');
    const edge = fields.edges ? getNamedType(fields.edges.type) : undefined;
    const node = edge && isObjectType(edge) ? edge.getFields().node : undefined;
    if (node && depth === 0) parts.push(`edges { cursor node ${selectionOf(node.type, schema, depth + 1)} }`);
    if (fields.pageInfo && depth === 0) parts.push('pageInfo { hasNextPage endCursor }');
  }
  return `{ ${parts.join(' ')} }`;
}

/** `query Fuzz($id: ID!) { node(id: $id) { … } }`: each argument is a variable of its own type. */
export function documentOf(kind: 'query' | 'mutation' | 'subscription', field: GraphQLField<unknown, unknown>, schema: GraphQLSchema): string {
  const definitions = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  return `${kind} Fuzz${definitions ? `(${definitions})` : ''} { ${field.name}${args ? `(${args})` : ''} ${selectionOf(field.type, schema)} }`;
}
